package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.persistence.PersistenceSettings;
import dev.tether.operator.trust.PrincipalPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Settings of the node API, read from the environment the Helm chart sets.
 *
 * @param port                 TLS port the operator listens on ({@code TETHER_NODE_API_PORT})
 * @param caSecret             Secret in the operator's namespace with the cluster CA ({@code TETHER_NODE_API_CA_SECRET})
 * @param sshCaSecret          Secret in the operator's namespace with the SSH CA ({@code TETHER_SSH_CA_SECRET})
 * @param sshCaSecretKey       key of that Secret holding the OpenSSH private key ({@code TETHER_SSH_CA_SECRET_KEY})
 * @param dnsNames             names on the server certificate: {@value NodeApi#SERVER_NAME}, the Service's names and
 *                             any in {@code TETHER_NODE_API_DNS_NAMES}
 * @param failuresPerNode      refused requests naming one node before it is answered 429 ({@code TETHER_NODE_API_FAILURES_PER_NODE})
 * @param failuresPerSource    refused requests from one address before it is answered 429 ({@code TETHER_NODE_API_FAILURES_PER_SOURCE})
 * @param failureWindow        the budgets above refill fully within this time ({@code TETHER_NODE_API_FAILURE_WINDOW_SECONDS})
 * @param handlerThreads       threads that answer the requests that write to the Kubernetes API ({@code TETHER_NODE_API_THREADS});
 *                             most of such a request's time is waiting on the API server (a boot storm filled 8 and their
 *                             queue). The requests answered from caches (boot-config, image-key) have a pool of their own,
 *                             sized to the cores ({@link HandlerPools})
 * @param requestTimeout       from a connection's start, or the end of its last answer, until the next request (head and
 *                             body) has arrived; however slowly its bytes trickle in ({@code TETHER_NODE_API_REQUEST_TIMEOUT_SECONDS})
 * @param trustedProxies       address ranges of the edges (CIDR), which must send, and alone may send, a PROXY protocol v2
 *                             header naming the node they relay ({@code TETHER_NODE_API_TRUSTED_PROXIES}, comma-separated);
 *                             empty: edges send none, and the nodes behind an edge share its failure budget
 * @param sshPrincipals        the names and addresses host certificates may carry ({@link PrincipalPolicy#fromEnvironment})
 * @param persistence          where and how much of the nodes' kept paths the operator stores
 */
public record NodeApiSettings(int port, String caSecret, String sshCaSecret, String sshCaSecretKey, List<String> dnsNames,
                              int failuresPerNode, int failuresPerSource, Duration failureWindow, int handlerThreads,
                              Duration requestTimeout, List<String> trustedProxies, PrincipalPolicy sshPrincipals,
                              PersistenceSettings persistence) {

    /** Server certificates are re-issued from the CA before they expire; nodes trust the CA, not the certificate. */
    public static final Duration SERVER_CERTIFICATE_VALIDITY = Duration.ofDays(90);

    public static NodeApiSettings fromEnvironment(Map<String, String> env, String nodeApiService, String operatorNamespace) {
        var names = new LinkedHashSet<String>();
        names.add(NodeApi.SERVER_NAME);
        names.addAll(serviceNames(nodeApiService, operatorNamespace));
        names.addAll(commaList(env.get("TETHER_NODE_API_DNS_NAMES")));
        return new NodeApiSettings(
                Integer.parseInt(env.getOrDefault("TETHER_NODE_API_PORT", "8443")),
                env.getOrDefault("TETHER_NODE_API_CA_SECRET", "tether-node-api-ca"),
                env.getOrDefault("TETHER_SSH_CA_SECRET", "tether-ssh-ca"),
                env.getOrDefault("TETHER_SSH_CA_SECRET_KEY", "ssh-ca"),
                List.copyOf(names),
                Integer.parseInt(env.getOrDefault("TETHER_NODE_API_FAILURES_PER_NODE", "10")),
                Integer.parseInt(env.getOrDefault("TETHER_NODE_API_FAILURES_PER_SOURCE", "100")),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("TETHER_NODE_API_FAILURE_WINDOW_SECONDS", "600"))),
                Integer.parseInt(env.getOrDefault("TETHER_NODE_API_THREADS", "32")),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("TETHER_NODE_API_REQUEST_TIMEOUT_SECONDS", "30"))),
                commaList(env.get("TETHER_NODE_API_TRUSTED_PROXIES")),
                PrincipalPolicy.fromEnvironment(env),
                PersistenceSettings.fromEnvironment(env));
    }

    public NodeApiSettings withFailureLimits(int perNode, int perSource, Duration window) {
        return new NodeApiSettings(port, caSecret, sshCaSecret, sshCaSecretKey, dnsNames, perNode, perSource, window, handlerThreads,
                requestTimeout, trustedProxies, sshPrincipals, persistence);
    }

    public NodeApiSettings withSshPrincipals(PrincipalPolicy policy) {
        return new NodeApiSettings(port, caSecret, sshCaSecret, sshCaSecretKey, dnsNames, failuresPerNode, failuresPerSource,
                failureWindow, handlerThreads, requestTimeout, trustedProxies, policy, persistence);
    }

    public NodeApiSettings withHandlerThreads(int threads) {
        return new NodeApiSettings(port, caSecret, sshCaSecret, sshCaSecretKey, dnsNames, failuresPerNode, failuresPerSource,
                failureWindow, threads, requestTimeout, trustedProxies, sshPrincipals, persistence);
    }

    public NodeApiSettings withRequestTimeout(Duration timeout) {
        return new NodeApiSettings(port, caSecret, sshCaSecret, sshCaSecretKey, dnsNames, failuresPerNode, failuresPerSource,
                failureWindow, handlerThreads, timeout, trustedProxies, sshPrincipals, persistence);
    }

    public NodeApiSettings withTrustedProxies(List<String> cidrs) {
        return new NodeApiSettings(port, caSecret, sshCaSecret, sshCaSecretKey, dnsNames, failuresPerNode, failuresPerSource,
                failureWindow, handlerThreads, requestTimeout, List.copyOf(cidrs), sshPrincipals, persistence);
    }

    public NodeApiSettings withPersistence(PersistenceSettings settings) {
        return new NodeApiSettings(port, caSecret, sshCaSecret, sshCaSecretKey, dnsNames, failuresPerNode, failuresPerSource,
                failureWindow, handlerThreads, requestTimeout, trustedProxies, sshPrincipals, settings);
    }

    /**
     * {@code svc.ns.svc:8443} → {@code svc}, {@code svc.ns}, {@code svc.ns.svc}, {@code svc.ns.svc.cluster.local}: every
     * name a client inside the cluster may use for the Service the edges forward to.
     */
    static List<String> serviceNames(String hostPort, String operatorNamespace) {
        String host = hostPort.contains(":") ? hostPort.substring(0, hostPort.lastIndexOf(':')) : hostPort;
        String[] labels = host.split("\\.");
        String service = labels[0];
        String namespace = labels.length > 1 ? labels[1] : operatorNamespace;
        var names = new ArrayList<String>(List.of(service, service + "." + namespace, service + "." + namespace + ".svc",
                service + "." + namespace + ".svc.cluster.local"));
        if (!names.contains(host)) {
            names.add(host);
        }
        return names;
    }

    private static List<String> commaList(String text) {
        return text == null ? List.of() : Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
