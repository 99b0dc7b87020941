package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeFileTemplate;
import dev.tether.api.v1alpha1.NodeHostname;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.NodeApi;
import dev.tether.nodeapi.NodeIdentity;
import dev.tether.operator.identity.ConfigMapTemplates;
import dev.tether.operator.identity.NodeIdentityCondition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A node's host name and node files through the node API, rendered at each boot from its own credential, and the
 * profile's NodeIdentityRendered condition saying what a booting node gets: a template from a ConfigMap that is not
 * labelled for node files (or that lives in another namespace) is not read, the node boots without the files, and a
 * GitOps fix of the ConfigMap brings them back.
 */
class NodeIdentityBootTest extends NodeApiTestBase {

    @Test
    void theBootConfigurationCarriesTheNodesNameAndItsRenderedFiles() throws Exception {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        harness.client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("slurm").withNamespace(NAMESPACE)
                .addToLabels(ConfigMapTemplates.USE_LABEL, ConfigMapTemplates.USE).endMetadata()
                .addToData("node.conf", "NodeName={{hostname}} NodeAddr={{address}} Feature={{labels.rack}}\n").build()).create();
        edit(profile -> {
            profile.getSpec().hostname = new NodeHostname(NodeHostname.Source.NODE_NAME, "cluster.example");
            var slurm = new NodeFileTemplate();
            slurm.path = "/etc/slurm/node.conf";
            slurm.templateFrom = new NodeFileTemplate.ConfigMapKeyRef("slurm", "node.conf");
            profile.getSpec().nodeFiles = List.of(new NodeFileTemplate("/etc/tether-node.conf", "node={{nodeName}} fqdn={{fqdn}}\n"), slurm);
        });
        var credential = credential("node-001", "compute", Arming.ONCE);
        credential.getMetadata().setLabels(Map.of("rack", "r12"));
        create(credential);
        String key = fetchKey("node-001");

        var response = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key);

        assertThat(response.status()).as(response.text()).isEqualTo(200);
        NodeIdentity identity = response.as(BootConfiguration.class).identity();
        assertThat(identity.hostname()).isEqualTo("node-001");
        assertThat(identity.fqdn()).isEqualTo("node-001.cluster.example");
        assertThat(identity.filesProblem()).isNull();
        assertThat(identity.files()).containsExactly(
                new NodeIdentity.NodeFile("/etc/tether-node.conf", "0644", null, "node=node-001 fqdn=node-001.cluster.example\n"),
                new NodeIdentity.NodeFile("/etc/slurm/node.conf", "0644", null, "NodeName=node-001 NodeAddr=10.1.0.7 Feature=r12\n"));
        eventually(() -> assertThat(identityCondition()).satisfies(c -> {
            assertThat(c.isTrue()).isTrue();
            assertThat(c.message).isEqualTo("Host name and 2 node files rendered for 1 node.");
        }));
    }

    @Test
    void aConfigMapNotLabelledForNodeFilesIsNotReadAndTheNodeBootsWithoutTheFiles() throws Exception {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        harness.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("other").endMetadata().build()).create();
        // Another namespace's ConfigMap of the same name, labelled: a profile can never name it.
        harness.client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("app-settings").withNamespace("other")
                .addToLabels(ConfigMapTemplates.USE_LABEL, ConfigMapTemplates.USE).endMetadata()
                .addToData("password", "other-namespace-secret").build()).create();
        edit(profile -> {
            var file = new NodeFileTemplate();
            file.path = "/etc/app.conf";
            file.templateFrom = new NodeFileTemplate.ConfigMapKeyRef("app-settings", "password");
            profile.getSpec().nodeFiles = List.of(file);
        });
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var missing = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key).as(BootConfiguration.class).identity();
        assertThat(missing.files()).isEmpty();
        assertThat(missing.hostname()).as("the host name does not wait for the files").isEqualTo("node-001");
        assertThat(missing.filesProblem()).isEqualTo("there is no ConfigMap " + NAMESPACE + "/app-settings (labelled"
                + " tether.dev/use=node-files, the operator's only source of node file templates)");
        eventually(() -> assertThat(identityCondition()).satisfies(c -> {
            assertThat(c.isTrue()).isFalse();
            assertThat(c.reason).isEqualTo("NotRendered");
            assertThat(c.message).startsWith("node node-001 gets none of the node files: there is no ConfigMap " + NAMESPACE
                    + "/app-settings");
        }));

        // The application's own ConfigMap, in the profile's namespace but not meant for nodes.
        harness.client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("app-settings").withNamespace(NAMESPACE)
                .endMetadata().addToData("password", "db-password-123").build()).create();
        var unlabelled = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key);
        assertThat(unlabelled.status()).isEqualTo(200);
        assertThat(unlabelled.as(BootConfiguration.class).identity().filesProblem()).isEqualTo("ConfigMap " + NAMESPACE
                + "/app-settings is not labelled tether.dev/use=node-files (the operator reads node file templates from no other"
                + " ConfigMap)");
        assertThat(unlabelled.text()).doesNotContain("db-password-123").doesNotContain("other-namespace-secret");

        // The administrator labels it (a GitOps commit): the condition follows, and the next boot gets the file.
        harness.client.configMaps().inNamespace(NAMESPACE).withName("app-settings").edit(map -> {
            map.getMetadata().setLabels(Map.of(ConfigMapTemplates.USE_LABEL, ConfigMapTemplates.USE));
            map.getData().put("password", "db_host={{nodeName}}-db\n");
            return map;
        });
        eventually(() -> assertThat(identityCondition().isTrue()).isTrue());
        var fixed = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key).as(BootConfiguration.class).identity();
        assertThat(fixed.files()).singleElement().satisfies(f -> assertThat(f.content()).isEqualTo("db_host=node-001-db\n"));
    }

    private void edit(Consumer<NodeProfile> change) {
        harness.edit(NodeProfile.class, "compute", profile -> {
            change.accept(profile);
            return profile;
        });
    }

    private Condition identityCondition() {
        var profile = harness.client.resources(NodeProfile.class).inNamespace(NAMESPACE).withName("compute").get();
        return profile.getStatus() == null ? null : Condition.find(profile.getStatus().conditions, NodeIdentityCondition.TYPE);
    }
}
