package dev.tether.operator.power;

import dev.tether.api.v1alpha1.Bmc;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The user name, password and (Redfish) CA of a node's BMC, from the Secret its NodeCredential names, in the
 * credential's own namespace. Anyone who can write a NodeCredential can name any Secret of the namespace and any BMC
 * address, and the operator sends the Secret's contents to that address: so it reads only a Secret that whoever
 * created it marked for this use with the label {@value Bmc#USE_LABEL}{@code =}{@value Bmc#USE}. An unmarked Secret
 * is treated exactly as a missing one, so a credential's author learns nothing about Secrets they cannot read.
 */
public record BmcCredentials(String username, String password, String caPem) {
    /** What reading the Secret gave. */
    public sealed interface Lookup {}

    public record Usable(BmcCredentials credentials) implements Lookup {}

    /** @param message what is wrong and how to fix it, naming no content of any Secret */
    public record NotUsable(String message) implements Lookup {}

    public static Lookup read(KubernetesClient client, String namespace, String secretName) {
        Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
        if (!marked(secret)) {
            return new NotUsable("spec.bmc.credentialsSecret names Secret " + namespace + "/" + secretName + ", but no Secret of that"
                    + " name is labelled " + Bmc.USE_LABEL + "=" + Bmc.USE + ", and the operator sends no other to a BMC. Create it with"
                    + " keys " + Bmc.USERNAME_KEY + " and " + Bmc.PASSWORD_KEY + " and label it: kubectl -n " + namespace + " label secret "
                    + secretName + " " + Bmc.USE_LABEL + "=" + Bmc.USE + ".");
        }
        String username = value(secret, Bmc.USERNAME_KEY);
        String password = value(secret, Bmc.PASSWORD_KEY);
        username = username == null ? null : username.strip();
        // A password may end in spaces; only the line end that 'kubectl create secret --from-file' keeps is not its own.
        password = password == null ? null : password.replaceAll("[\r\n]+$", "");
        if (username == null || username.isBlank() || password == null) {
            return new NotUsable("Secret " + namespace + "/" + secretName + " (labelled " + Bmc.USE_LABEL + "=" + Bmc.USE + ") needs keys "
                    + Bmc.USERNAME_KEY + " and " + Bmc.PASSWORD_KEY + ".");
        }
        if (username.length() > 64 || password.length() > 256 || username.chars().anyMatch(Character::isISOControl)) {
            return new NotUsable("Secret " + namespace + "/" + secretName + " holds a BMC user name or password that no BMC accepts (too"
                    + " long, or a control character in the user name).");
        }
        return new Usable(new BmcCredentials(username, password, value(secret, Bmc.CA_KEY)));
    }

    private static boolean marked(Secret secret) {
        return secret != null && secret.getMetadata().getLabels() != null
                && Bmc.USE.equals(secret.getMetadata().getLabels().get(Bmc.USE_LABEL));
    }

    private static String value(Secret secret, String key) {
        String encoded = secret.getData() == null ? null : secret.getData().get(key);
        if (encoded != null) {
            return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        }
        return secret.getStringData() == null ? null : secret.getStringData().get(key);
    }

    /** The message of any exception or log line that names this record must not carry the password. */
    @Override
    public String toString() {
        return "BmcCredentials[username=" + username + ", password=redacted]";
    }
}
