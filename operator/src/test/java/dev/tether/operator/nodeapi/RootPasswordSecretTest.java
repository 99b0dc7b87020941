package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileStatus;
import dev.tether.api.v1alpha1.SecretKeyRef;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.profile.RootPasswordSecret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Who can write a NodeProfile can name any Secret of its namespace as the root password hash, and every node of
 * the profile is handed its content: so only Secrets labelled {@code tether.dev/use=root-password} are read.
 */
class RootPasswordSecretTest extends NodeApiTestBase {
    static final String DATABASE_PASSWORD = "s3cr3t-database-password";

    @Test
    void aProfileNamingAnUnmarkedSecretGetsNothingOfItAndIsToldHowToMarkIt() throws Exception {
        publishedImage("bookworm", DIGEST);
        harness.client.resource(new SecretBuilder().withNewMetadata().withName("database").withNamespace(NAMESPACE).endMetadata()
                .addToData("password", base64(DATABASE_PASSWORD)).build()).create();
        var profile = profile("compute", "bookworm");
        harness.edit(NodeProfile.class, profile.getMetadata().getName(), p -> {
            p.getSpec().rootPasswordHash = new SecretKeyRef("database", "password");
            return p;
        });
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var response = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key);

        assertThat(response.status()).as(response.text()).isEqualTo(409);
        assertThat(response.error().error()).isEqualTo("NotBootable");
        assertThat(response.error().message()).contains("Secret " + NAMESPACE + "/database")
                .contains("kubectl -n " + NAMESPACE + " label secret database tether.dev/use=root-password");
        assertThat(response.text()).doesNotContain(DATABASE_PASSWORD).doesNotContain(base64(DATABASE_PASSWORD));

        eventually(() -> assertThat(ready("compute").reason).isEqualTo(RootPasswordSecret.NOT_USABLE));
        assertThat(ready("compute").message).contains("tether.dev/use=root-password");
        eventually(() -> assertThat(eventsAbout("NodeProfile", "compute"))
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo(RootPasswordSecret.NOT_USABLE)));
        assertThat(everythingWritten()).doesNotContain(DATABASE_PASSWORD);
        assertThat(harness.client.resources(NodeProfile.class).inNamespace(NAMESPACE).withName("compute").get().getStatus().toString())
                .doesNotContain(DATABASE_PASSWORD);
    }

    @Test
    void markingTheSecretMakesTheProfileBootableAgain() throws Exception {
        publishedImage("bookworm", DIGEST);
        harness.client.resource(new SecretBuilder().withNewMetadata().withName("root-hash").withNamespace(NAMESPACE).endMetadata()
                .addToData("hash", base64(PASSWORD_HASH)).build()).create();
        var profile = profile("compute", "bookworm");
        harness.edit(NodeProfile.class, profile.getMetadata().getName(), p -> {
            p.getSpec().rootPasswordHash = new SecretKeyRef("root-hash", "hash");
            return p;
        });
        eventually(() -> assertThat(ready("compute").reason).isEqualTo(RootPasswordSecret.NOT_USABLE));

        harness.client.secrets().inNamespace(NAMESPACE).withName("root-hash")
                .edit(s -> new SecretBuilder(s).editMetadata().addToLabels("tether.dev/use", "root-password").endMetadata().build());

        eventually(() -> assertThat(ready("compute").reason).isNotEqualTo(RootPasswordSecret.NOT_USABLE));
        create(credential("node-001", "compute", Arming.ONCE));
        var response = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, fetchKey("node-001"));
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        assertThat(response.as(BootConfiguration.class).rootPasswordHash()).isEqualTo(PASSWORD_HASH);
    }

    private Condition ready(String profile) {
        var p = harness.client.resources(NodeProfile.class).inNamespace(NAMESPACE).withName(profile).get();
        Condition ready = p.getStatus() == null ? null : Condition.find(p.getStatus().conditions, NodeProfileStatus.READY);
        assertThat(ready).as("Ready condition of " + profile).isNotNull();
        return ready;
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
