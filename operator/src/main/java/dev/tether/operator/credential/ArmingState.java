package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether a node may fetch a new API key over the network.
 *
 * <ul>
 *   <li>{@code continuous}: always armed.</li>
 *   <li>{@code disarmed}: never.</li>
 *   <li>{@code once}: armed until a key has been fetched, then disarmed until the administrator
 *       re-arms it, by setting the {@value NodeCredential#REARM_ANNOTATION} annotation to a new
 *       value, by switching the mode, or by setting a new {@code spec.armedUntil} (removing it re-arms
 *       nothing).</li>
 * </ul>
 *
 * Whatever the mode, nothing is armed after {@code spec.armedUntil}: an arming window that an administrator
 * forgets to close closes itself.
 */
public final class ArmingState {
    private ArmingState() {}

    /** Brings {@code status.armed} up to date with the spec, the re-arm annotation and the time {@code now}. */
    public static void refresh(NodeCredential credential, NodeCredentialStatus status, Instant now) {
        Arming mode = mode(credential);
        String rearm = rearmValue(credential);
        String until = credential.getSpec().armedUntil;
        // A window set or moved starts afresh; one removed does not: a clean-up that drops a spent window from the
        // spec (by hand or by a GitOps tool) must not hand out another key with no end.
        boolean freshStart = status.armed == null
                || status.observedArming != mode
                || (rearm != null && !Objects.equals(rearm, status.rearmedBy))
                || (until != null && !Objects.equals(until, status.observedArmedUntil));
        boolean byMode = switch (mode) {
            case CONTINUOUS -> true;
            case DISARMED -> false;
            case ONCE -> freshStart || status.armed;
        };
        status.armed = byMode && !windowClosed(credential, now);
        status.observedArming = mode;
        status.rearmedBy = rearm;
        status.observedArmedUntil = until;
    }

    /** After a key was fetched over the network: a {@code once} credential disarms itself. */
    public static void afterNetworkIssue(NodeCredential credential, NodeCredentialStatus status) {
        if (mode(credential) == Arming.ONCE) {
            status.armed = false;
        }
    }

    /** Whether {@code spec.armedUntil} has passed at {@code now}; a date-time that does not parse counts as passed. */
    public static boolean windowClosed(NodeCredential credential, Instant now) {
        String until = credential.getSpec().armedUntil;
        return until != null && deadline(credential).map(d -> !now.isBefore(d)).orElse(true);
    }

    /** {@code spec.armedUntil} as an instant; empty when absent or not an RFC 3339 date-time. */
    public static Optional<Instant> deadline(NodeCredential credential) {
        String until = credential.getSpec().armedUntil;
        if (until == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(until.toUpperCase(Locale.ROOT)).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    static Arming mode(NodeCredential credential) {
        return credential.getSpec().arming == null ? Arming.ONCE : credential.getSpec().arming;
    }

    private static String rearmValue(NodeCredential credential) {
        var annotations = credential.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(NodeCredential.REARM_ANNOTATION);
    }
}
