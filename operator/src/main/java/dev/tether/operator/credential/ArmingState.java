package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import java.util.Objects;

/**
 * Whether a node may fetch a new API key over the network.
 *
 * <ul>
 *   <li>{@code continuous}: always armed.</li>
 *   <li>{@code disarmed}: never.</li>
 *   <li>{@code once}: armed until a key has been fetched, then disarmed until the administrator
 *       re-arms it, by setting the {@value NodeCredential#REARM_ANNOTATION} annotation to a new
 *       value or by switching the mode.</li>
 * </ul>
 */
public final class ArmingState {
    private ArmingState() {}

    /** Brings {@code status.armed} up to date with the spec and the re-arm annotation. */
    public static void refresh(NodeCredential credential, NodeCredentialStatus status) {
        Arming mode = mode(credential);
        String rearm = rearmValue(credential);
        boolean freshStart = status.armed == null
                || status.observedArming != mode
                || (rearm != null && !Objects.equals(rearm, status.rearmedBy));
        status.armed = switch (mode) {
            case CONTINUOUS -> true;
            case DISARMED -> false;
            case ONCE -> freshStart || status.armed;
        };
        status.observedArming = mode;
        status.rearmedBy = rearm;
    }

    /** After a key was fetched over the network: a {@code once} credential disarms itself. */
    public static void afterNetworkIssue(NodeCredential credential, NodeCredentialStatus status) {
        if (mode(credential) == Arming.ONCE) {
            status.armed = false;
        }
    }

    private static Arming mode(NodeCredential credential) {
        return credential.getSpec().arming == null ? Arming.ONCE : credential.getSpec().arming;
    }

    private static String rearmValue(NodeCredential credential) {
        var annotations = credential.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(NodeCredential.REARM_ANNOTATION);
    }
}
