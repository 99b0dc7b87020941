package dev.tether.operator.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeFileTemplate;
import dev.tether.api.v1alpha1.NodeHostname;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.api.v1alpha1.NodeProfileStatus;
import dev.tether.nodeapi.NodeFileRules;
import dev.tether.nodeapi.NodeIdentity;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A node's host name and node files as the operator renders them: the documented variables, and every way a profile
 * author could try to reach further (Java methods, other templates, unbounded output or work, paths the agent owns or
 * the kernel mounts) refused with a message, the node still getting its host name and none of the files.
 */
class NodeIdentitiesTest {
    private static final TemplateSource NO_CONFIGMAPS = (namespace, ref) -> {
        throw new NodeFileTemplates.RenderingFailed("no ConfigMaps in this test");
    };

    @Test
    void filesAreRenderedFromTheNodesOwnCredentialAndProfile() {
        var profile = profile(new NodeFileTemplate("/etc/tether-node.conf", """
                node={{nodeName}} fqdn={{fqdn}} ns={{namespace}} profile={{profile}}
                addresses={{#addresses}}{{.}}{{^-last}},{{/-last}}{{/addresses}} first={{address}} mac={{mac}}
                rack={{labels.rack}}{{#labels.missing}} never{{/labels.missing}}
                {{#labelList}}label {{name}}={{value}}
                {{/labelList}}{{#edgeHosts}}server {{.}} iburst
                {{/edgeHosts}}"""),
                new NodeFileTemplate("/etc/slurm/node.conf", "NodeName={{hostname}} NodeAddr={{address}} Weight=<10>&\n"));
        profile.getSpec().hostname = new NodeHostname(NodeHostname.Source.NODE_NAME, "cluster.example.org");
        profile.getSpec().nodeFiles.get(1).mode = "0640";
        profile.getSpec().nodeFiles.get(1).owner = "slurm:slurm";

        var rendering = NodeIdentities.render(credential("n07", Map.of("rack", "r12", "topology.kubernetes.io/zone", "a")),
                profile, NO_CONFIGMAPS);

        NodeIdentity identity = rendering.identity();
        assertThat(rendering.problems()).isEmpty();
        assertThat(identity.hostname()).isEqualTo("n07");
        assertThat(identity.fqdn()).isEqualTo("n07.cluster.example.org");
        assertThat(identity.filesProblem()).isNull();
        assertThat(identity.files()).extracting(NodeIdentity.NodeFile::path).containsExactly("/etc/tether-node.conf", "/etc/slurm/node.conf");
        assertThat(identity.files().get(0).content()).isEqualTo("""
                node=n07 fqdn=n07.cluster.example.org ns=hpc profile=compute
                addresses=10.1.0.7,10.2.0.7 first=10.1.0.7 mac=52:54:00:00:00:07
                rack=r12
                label rack=r12
                label topology.kubernetes.io/zone=a
                server 10.0.0.1 iburst
                server fd00::2 iburst
                """);
        assertThat(identity.files().get(0).mode()).isEqualTo("0644");
        assertThat(identity.files().get(1)).isEqualTo(new NodeIdentity.NodeFile("/etc/slurm/node.conf", "0640", "slurm:slurm",
                "NodeName=n07 NodeAddr=10.1.0.7 Weight=<10>&\n"));
    }

    @Test
    void theDocumentedExamplesRenderAsTheDocsSay() {
        var hosts = new NodeFileTemplate("/etc/hosts", """
                127.0.0.1	localhost
                {{#address}}{{address}}	{{#fqdn}}{{fqdn}} {{/fqdn}}{{hostname}}
                {{/address}}10.1.0.1	head.cluster.example head
                ::1	localhost ip6-localhost ip6-loopback
                """);
        var chrony = new NodeFileTemplate("/etc/chrony/conf.d/site.conf", """
                server ntp-{{labels.rack}}.cluster.example iburst prefer
                server ntp.cluster.example iburst
                """);
        var slurm = new NodeFileTemplate("/etc/slurm/node.conf", """
                NodeName={{hostname}} NodeAddr={{address}} CPUs={{annotations.cpus}} RealMemory={{annotations.memory-mb}}
                """);
        var gres = new NodeFileTemplate("/etc/slurm/gres-line.conf",
                "NodeName={{hostname}} {{#labels.gpu}}Gres=gpu:{{labels.gpu}} {{/labels.gpu}}State=UNKNOWN\n");
        var profile = profile(hosts, chrony, slurm, gres);
        profile.getSpec().hostname = new NodeHostname(NodeHostname.Source.NODE_NAME, "cluster.example");
        var credential = credential("n07", Map.of("rack", "r12"));
        credential.getMetadata().setAnnotations(Map.of("cpus", "64", "memory-mb", "257000"));

        var files = NodeIdentities.render(credential, profile, NO_CONFIGMAPS).identity().files();

        assertThat(files).extracting(NodeIdentity.NodeFile::content).containsExactly("""
                127.0.0.1	localhost
                10.1.0.7	n07.cluster.example n07
                10.1.0.1	head.cluster.example head
                ::1	localhost ip6-localhost ip6-loopback
                """, """
                server ntp-r12.cluster.example iburst prefer
                server ntp.cluster.example iburst
                """, "NodeName=n07 NodeAddr=10.1.0.7 CPUs=64 RealMemory=257000\n",
                "NodeName=n07 State=UNKNOWN\n");
    }

    @Test
    void theHostnameFollowsTheProfile() {
        var profile = profile();
        assertThat(NodeIdentities.render(credential("n1", Map.of()), profile, NO_CONFIGMAPS).identity().hostname())
                .as("by default, the node's name").isEqualTo("n1");

        profile.getSpec().hostname = new NodeHostname(NodeHostname.Source.FQDN, "hpc.example.org");
        assertThat(NodeIdentities.render(credential("n1", Map.of()), profile, NO_CONFIGMAPS).identity().hostname())
                .isEqualTo("n1.hpc.example.org");
        var withOwnFqdn = credential("n1", Map.of());
        withOwnFqdn.getSpec().fqdn = "compute-1.site.example";
        assertThat(NodeIdentities.render(withOwnFqdn, profile, NO_CONFIGMAPS).identity().hostname())
                .as("the credential's fqdn wins over the domain").isEqualTo("compute-1.site.example");

        profile.getSpec().hostname = new NodeHostname(NodeHostname.Source.FQDN, null);
        var unnamed = NodeIdentities.render(credential("n1", Map.of()), profile, NO_CONFIGMAPS);
        assertThat(unnamed.identity().hostname()).isEqualTo("n1");
        assertThat(unnamed.problems()).containsExactly("hostname.from is fqdn but node n1 has no fqdn and the profile no"
                + " hostname.domain; it is named n1");

        profile.getSpec().hostname = new NodeHostname(NodeHostname.Source.IMAGE, null);
        assertThat(NodeIdentities.render(credential("n1", Map.of()), profile, NO_CONFIGMAPS).identity().hostname())
                .as("the image's stays").isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a misspelt variable        | {{nodename}}                                   | No method or field with name 'nodename' on line 1",
            "a label the node lacks     | {{labels.row}}                                 | No method or field with name 'labels.row' on line 1",
            "a Java method on a value   | {{nodeName.bytes}}                             | No method or field with name 'nodeName.bytes'",
            "a getter on a value        | {{nodeName.class.name}}                        | Missing context for compound variable 'nodeName.class.name' on line 1. 'class' was not found",
            "a map's entry objects      | {{#labels.entrySet}}{{key}}{{/labels.entrySet}} | No method or field with name 'key'",
            "a Secret                   | {{secrets.root}}                               | No method or field with name 'secrets' on line 1",
            "another template           | {{> /etc/shadow}}                              | node file templates cannot include templates",
            "a syntax error             | {{#macs}}x                                     | Section missing close tag 'macs' @ line 1",
    })
    void aTemplateReadsNothingButItsVariables(String what, String template, String message) {
        var rendering = NodeIdentities.render(credential("n1", Map.of("rack", "r1")), profile(new NodeFileTemplate("/etc/ok.conf", "fine"),
                new NodeFileTemplate("/etc/x.conf", template)), NO_CONFIGMAPS);

        assertThat(rendering.identity().files()).as(what + ": all or nothing").isEmpty();
        assertThat(rendering.identity().hostname()).as("the host name does not depend on the files").isEqualTo("n1");
        assertThat(rendering.identity().filesProblem()).startsWith("/etc/x.conf: ").contains(message);
        assertThat(rendering.problems()).singleElement().asString().startsWith("node n1 gets none of the node files: /etc/x.conf: ");
    }

    @Test
    void outputAndWorkAreBounded() {
        // 16 MACs, sections nested four deep: 65536 lines of output, far past a file's limit.
        String bomb = "{{#macs}}{{#macs}}{{#macs}}{{#macs}}{{.}}\n{{/macs}}{{/macs}}{{/macs}}{{/macs}}";
        var large = NodeIdentities.render(sixteenMacs(), profile(new NodeFileTemplate("/etc/bomb", bomb)), NO_CONFIGMAPS);
        assertThat(large.identity().filesProblem()).isEqualTo("/etc/bomb: the rendered file is larger than 64 KiB");

        // The same nesting with nothing written: only the count of visited items stops it.
        String silent = "{{#macs}}{{#macs}}{{#macs}}{{#macs}}{{#macs}}{{/macs}}{{/macs}}{{/macs}}{{/macs}}{{/macs}}";
        var busy = NodeIdentities.render(sixteenMacs(), profile(new NodeFileTemplate("/etc/busy", silent)), NO_CONFIGMAPS);
        assertThat(busy.identity().filesProblem()).isEqualTo("/etc/busy: the template's sections visit more than 100000 items");

        var oversized = NodeIdentities.render(credential("n1", Map.of()),
                profile(new NodeFileTemplate("/etc/big", "x".repeat(NodeFileRules.MAX_FILE_BYTES + 1))), NO_CONFIGMAPS);
        assertThat(oversized.identity().filesProblem()).isEqualTo("/etc/big: the template is larger than 64 KiB");

        List<NodeFileTemplate> many = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            many.add(new NodeFileTemplate("/etc/part" + i, "y".repeat(60 * 1024)));
        }
        var together = NodeIdentities.render(credential("n1", Map.of()), profile(many.toArray(NodeFileTemplate[]::new)), NO_CONFIGMAPS);
        assertThat(together.identity().filesProblem()).isEqualTo("the node files hold 180 KiB together, more than the 128 KiB allowed");
        assertThat(together.identity().files()).isEmpty();

        // 90 KiB of quotes are 180 KiB in the boot configuration's JSON, which the agent reads up to 256 KiB.
        List<NodeFileTemplate> quotes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            quotes.add(new NodeFileTemplate("/etc/quoted" + i, "\"".repeat(30 * 1024)));
        }
        var escaped = NodeIdentities.render(credential("n1", Map.of()), profile(quotes.toArray(NodeFileTemplate[]::new)), NO_CONFIGMAPS);
        assertThat(escaped.identity().filesProblem()).isEqualTo("the node files hold 180 KiB together, more than the 128 KiB allowed");

        var control = NodeIdentities.render(credential("n1", Map.of()),
                profile(new NodeFileTemplate("/etc/motd", "hello\u001b]0;owned\u0007\n")), NO_CONFIGMAPS);
        assertThat(control.identity().filesProblem()).isEqualTo("/etc/motd: the rendered file holds the control character 0x1b;"
                + " node files are text");

        List<NodeFileTemplate> tooMany = new ArrayList<>();
        for (int i = 0; i <= NodeFileRules.MAX_FILES; i++) {
            tooMany.add(new NodeFileTemplate("/etc/f" + i, "z"));
        }
        var count = NodeIdentities.render(credential("n1", Map.of()), profile(tooMany.toArray(NodeFileTemplate[]::new)), NO_CONFIGMAPS);
        assertThat(count.identity().filesProblem()).isEqualTo("33 node files, more than the 32 allowed");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "/proc/sys/kernel/core_pattern     | 0644 | is under /proc",
            "/sys/kernel/uevent_helper         | 0644 | is under /sys",
            "/dev/sda                          | 0644 | is under /dev",
            "/run/tether/api-key               | 0644 | is under /run",
            "/var/run/tether/x                 | 0644 | is under /var/run",
            "/etc/shadow                       | 0644 | is written by the Tether agent at every boot",
            "/etc/hostname                     | 0644 | is written by the Tether agent at every boot",
            "/etc/ssh/ssh_host_ed25519_key     | 0600 | is written by the Tether agent at every boot",
            "/etc/ssh/ssh_known_hosts          | 0644 | is written by the Tether agent at every boot",
            "/etc/../proc/x                    | 0644 | is not normalised",
            "/etc/a b                          | 0644 | is not an absolute path",
            "/usr/local/bin/root-shell         | 4755 | set-user-ID",
            "/usr/local/bin/group-shell        | 2755 | set-user-ID",
            "/etc/everyone-writes              | 0666 | lets any user write the file",
    })
    void pathsAndModesAProfileMayNotUse(String path, String mode, String message) {
        var file = new NodeFileTemplate(path, "x");
        file.mode = mode;
        var rendering = NodeIdentities.render(credential("n1", Map.of()), profile(file), NO_CONFIGMAPS);
        assertThat(rendering.identity().files()).isEmpty();
        assertThat(rendering.identity().filesProblem()).contains(message);
    }

    private static NodeCredential sixteenMacs() {
        var credential = credential("n1", Map.of());
        credential.getSpec().hardware.macs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            credential.getSpec().hardware.macs.add(String.format("52:54:00:00:01:%02x", i));
        }
        return credential;
    }

    static NodeProfile profile(NodeFileTemplate... files) {
        var profile = new NodeProfile();
        profile.setMetadata(new ObjectMetaBuilder().withName("compute").withNamespace("hpc").build());
        profile.setSpec(new NodeProfileSpec());
        profile.getSpec().image = new NodeProfileSpec.ImageRef("bookworm", null);
        profile.getSpec().nodeFiles = new ArrayList<>(List.of(files));
        profile.setStatus(new NodeProfileStatus());
        profile.getStatus().edgeUrls = List.of("http://10.0.0.1:8080", "http://[fd00::2]:8080");
        return profile;
    }

    static NodeCredential credential(String node, Map<String, String> labels) {
        var credential = new NodeCredential();
        credential.setMetadata(new ObjectMetaBuilder().withName(node).withNamespace("hpc").withLabels(labels).build());
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().nodeName = node;
        credential.getSpec().profile = "compute";
        credential.getSpec().hardware = new NodeCredentialSpec.Hardware();
        credential.getSpec().hardware.macs = new ArrayList<>(List.of("52:54:00:00:00:07"));
        credential.getSpec().addresses = new ArrayList<>(List.of("10.1.0.7", "10.2.0.7"));
        return credential;
    }
}
