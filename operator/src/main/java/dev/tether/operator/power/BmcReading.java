package dev.tether.operator.power;

import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import java.time.Instant;

/**
 * What the operator last learnt from a node's BMC: its power state, or why it could not be read, and the last power
 * action carried out. Held in memory per NodeCredential (the reconciler turns it into status) and replaced by each
 * talk with the BMC; the last action is carried over from reading to reading, so that a reboot already done is never
 * done again because a status write has not been seen yet.
 *
 * @param state the power, or null when the BMC could not say
 * @param problem why the BMC could not be read, or null
 * @param at when the BMC answered (or failed to)
 * @param lastAction the last action the operator asked for, or null
 */
public record BmcReading(PowerState state, Problem problem, Instant at, ActionOutcome lastAction) {
    /**
     * @param reason a condition reason (BmcUnreachable, BmcAuthenticationFailed, BmcSecretNotUsable, ...)
     * @param needsAdmin true when nothing changes until someone fixes something (the Secret), not a BMC that may come back
     */
    public record Problem(String reason, String message, boolean needsAdmin) {}

    /**
     * @param cause why it was done: {@code state}, {@code rebootRequest:<token>} or {@code rollout:<digest>}
     * @param message what happened, for people
     */
    public record ActionOutcome(PowerAction action, String cause, boolean succeeded, String message, Instant at) {}
}
