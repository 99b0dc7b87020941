package dev.tether.operator.power;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import dev.tether.operator.power.BmcReading.ActionOutcome;
import dev.tether.operator.power.BmcReading.Problem;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/** One talk with a node's BMC, on a worker thread: the action asked for, if any, then the power state. */
final class BmcTalk {
    private final KubernetesClient client;
    private final BmcConnector connector;
    private final Clock clock;
    private final MeterRegistry metrics;

    BmcTalk(KubernetesClient client, BmcConnector connector, Clock clock, MeterRegistry metrics) {
        this.client = client;
        this.connector = connector;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * @param action what to do first, or null to only read the power state
     * @param lastAction the outcome of the last action, carried into the reading when no new one is done
     */
    BmcReading run(NodeCredential credential, PowerAction action, String cause, ActionOutcome lastAction) {
        String namespace = credential.getMetadata().getNamespace();
        BmcCredentials.Lookup lookup;
        try {
            lookup = BmcCredentials.read(client, namespace, credential.getSpec().bmc.credentialsSecret);
        } catch (KubernetesClientException e) {
            var problem = new Problem("BmcSecretNotRead", "The operator could not read the BMC credentials Secret (will retry): "
                    + e.getMessage(), false);
            return finish(null, problem, action, cause, lastAction);
        }
        if (lookup instanceof BmcCredentials.NotUsable notUsable) {
            return finish(null, new Problem("BmcSecretNotUsable", notUsable.message(), true), action, cause, lastAction);
        }
        var credentials = ((BmcCredentials.Usable) lookup).credentials();
        try (BmcClient bmc = connector.connect(credential, credentials)) {
            ActionOutcome outcome = lastAction;
            Problem problem = null;
            if (action != null) {
                try {
                    String message = carryOut(bmc, action);
                    outcome = new ActionOutcome(action, cause, true, message, clock.instant());
                    countAction(action, "succeeded");
                } catch (BmcException e) {
                    outcome = new ActionOutcome(action, cause, false, e.getMessage(), clock.instant());
                    problem = problem(e);
                    countAction(action, "failed");
                }
            }
            PowerState state = null;
            try {
                state = bmc.powerState();
            } catch (BmcException e) {
                problem = problem(e);
            }
            countRead(problem);
            return new BmcReading(state, problem, clock.instant(), outcome);
        } catch (BmcException e) {
            return finish(null, problem(e), action, cause, lastAction);
        }
    }

    /** A reboot of a node that is off powers it on: what an administrator asking for a reboot wants, and all a BMC can do. */
    private static String carryOut(BmcClient bmc, PowerAction action) throws BmcException {
        switch (action) {
            case ON -> bmc.powerOn();
            case OFF -> bmc.powerOff();
            case SOFT_OFF -> {
                bmc.softOff();
                return "The BMC accepted soft-off: the node was asked to shut down.";
            }
            case REBOOT -> {
                if (bmc.powerState() == PowerState.OFF) {
                    bmc.powerOn();
                    return "The node was off: powered on.";
                }
                bmc.reboot();
            }
        }
        return "The BMC accepted " + action.word() + ".";
    }

    /** A reading when the BMC could not be talked to at all: a requested action counts as failed. */
    private BmcReading finish(PowerState state, Problem problem, PowerAction action, String cause, ActionOutcome lastAction) {
        ActionOutcome outcome = lastAction;
        if (action != null) {
            outcome = new ActionOutcome(action, cause, false, problem.message(), clock.instant());
            countAction(action, "failed");
        }
        countRead(problem);
        return new BmcReading(state, problem, clock.instant(), outcome);
    }

    private static Problem problem(BmcException e) {
        return new Problem(e.kind().reason, e.getMessage(), e.kind() == BmcException.Kind.SECRET_NOT_USABLE);
    }

    private void countAction(PowerAction action, String outcome) {
        Counter.builder("tether.power.actions").description("Power actions the operator asked BMCs for, by outcome")
                .tags("action", action.word(), "outcome", outcome).register(metrics).increment();
    }

    private void countRead(Problem problem) {
        Counter.builder("tether.bmc.reads").description("Talks with BMCs, by outcome (ok or the condition reason)")
                .tag("outcome", problem == null ? "ok" : problem.reason()).register(metrics).increment();
    }
}
