package dev.tether.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the API server accepts and rejects, checked against the generated schema and CEL rules. */
class SchemaValidationTest {
    private static SchemaValidator images;
    private static SchemaValidator profiles;
    private static SchemaValidator credentials;

    @BeforeAll
    static void loadGeneratedCrds() {
        var crds = CrdManifests.generate();
        images = SchemaValidator.forCrd(crds.get("disklessimages.tether.dev-v1.yml"));
        profiles = SchemaValidator.forCrd(crds.get("nodeprofiles.tether.dev-v1.yml"));
        credentials = SchemaValidator.forCrd(crds.get("nodecredentials.tether.dev-v1.yml"));
    }

    @Test
    void theSamplesAreAccepted() throws IOException {
        Path samples = CrdManifests.repositoryRoot().resolve("samples");
        assertThat(images.validate(Files.readString(samples.resolve("debian-image.yaml")))).isEmpty();
        assertThat(profiles.validate(Files.readString(samples.resolve("compute-profile.yaml")))).isEmpty();
        assertThat(credentials.validate(Files.readString(samples.resolve("node-credential.yaml")))).isEmpty();
    }

    @Test
    void minimalResourcesAreAccepted() {
        assertThat(images.validate(image("distribution: debian\n  release: bookworm"))).isEmpty();
        assertThat(images.validate(image("distribution: oci\n  source: {image: registry.example.org/hpc/compute:2024.1}"))).isEmpty();
        assertThat(images.validate(image("distribution: oci\n  source: {image: 'docker://localhost:5000/debian@sha256:"
                + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', pullSecret: regcred, insecure: true}")))
                .isEmpty();
        assertThat(images.validate(image("distribution: rhel-family\n  release: '9'\n  repositories: [{url: 'https://r.example.org/9/',"
                + " gpgKey: 'https://r.example.org/RPM-GPG-KEY'}]"))).isEmpty();
        assertThat(profiles.validate(profile("image: {name: bookworm}"))).isEmpty();
        assertThat(profiles.validate(profile("image: {name: bookworm}\n  hostname: {from: fqdn, domain: cluster.example.org}\n"
                + "  nodeFiles: [{path: /etc/tether-node.conf, template: 'node={{nodeName}}'},"
                + " {path: /etc/slurm/node.conf, mode: '0640', owner: 'slurm:slurm', templateFrom: {name: slurm, key: node.conf}}]")))
                .isEmpty();
        assertThat(profiles.validate(profile("image: {name: bookworm}\n  rollout: {maxUnavailable: '10%', bootTimeout: 20m}"))).isEmpty();
        assertThat(profiles.validate(profile("image: {name: bookworm}\n  rollout: {maxUnavailable: 2}"))).isEmpty();
        assertThat(credentials.validate(credential("nodeName: n1\n  profile: compute\n  hardware: {macs: ['52:54:00:12:34:56']}\n"
                + "  bmc: {protocol: redfish, address: bmc-n1.mgmt.example.org, credentialsSecret: n1-bmc, redfish: {auth: session}}\n"
                + "  power: {state: 'on', rebootRequest: '2026-12-02-1'}"))).isEmpty();
        assertThat(credentials.validate(credential("nodeName: n1\n  profile: compute\n  hardware: {smbiosUuid: 4c4c4544-0042-3510-8051-c4c04f4e4b32}"))).isEmpty();
        assertThat(credentials.validate(credential("nodeName: n1\n  profile: compute\n  hardware: {macs: ['52:54:00:12:34:56']}\n"
                + "  armedUntil: '2026-12-02T06:00:00Z'\n  endorsementKey: sha256:" + "0f".repeat(32)))).isEmpty();
    }

    static Stream<Arguments> rejectedImages() {
        return Stream.of(
                Arguments.of("no distribution", "release: bookworm", "distribution"),
                Arguments.of("unknown distribution", "distribution: gentoo\n  release: x", "$.spec.distribution: does not have a value in the enumeration"),
                Arguments.of("debian without release", "distribution: debian", "need a release"),
                Arguments.of("oci without source", "distribution: oci", "need a release; oci images need source.image"),
                Arguments.of("source on debian", "distribution: debian\n  release: bookworm\n  source: {image: x/y}", "only used with distribution: oci"),
                Arguments.of("oci without image", "distribution: oci\n  source: {pullSecret: regcred}", "image"),
                Arguments.of("image with a shell character", "distribution: oci\n  source: {image: 'x/y;reboot'}", "pattern"),
                Arguments.of("image with upper case path", "distribution: oci\n  source: {image: example.org/Hpc/x}", "pattern"),
                Arguments.of("bad pull secret name", "distribution: oci\n  source: {image: x/y, pullSecret: Reg_Cred}", "pattern"),
                Arguments.of("gpg key that is not a url", "distribution: rhel-family\n  release: '9'\n  repositories: [{url: 'http://x/y', gpgKey: '/etc/key.asc'}]", "pattern"),
                Arguments.of("repositories on oci", "distribution: oci\n  source: {image: x/y}\n  repositories: [{url: 'http://x/y'}]", "own package sources"),
                Arguments.of("bad package name", "distribution: debian\n  release: bookworm\n  packages: ['vim; rm -rf /']", "pattern"),
                Arguments.of("relative file path", "distribution: debian\n  release: bookworm\n  files: [{path: etc/motd, content: x}]", "pattern"),
                Arguments.of("dot-dot in file path", "distribution: debian\n  release: bookworm\n  files: [{path: /etc/../root/x, content: x}]", "pattern"),
                Arguments.of("duplicate step names", "distribution: debian\n  release: bookworm\n  steps: [{name: a, run: x}, {name: a, run: y}]", "step names must be unique"),
                Arguments.of("empty step", "distribution: debian\n  release: bookworm\n  steps: [{name: a, run: ''}]", "run"),
                Arguments.of("odd chunk size", "distribution: debian\n  release: bookworm\n  chunkSize: 3Mi", "chunkSize"),
                Arguments.of("no versions retained", "distribution: debian\n  release: bookworm\n  retainVersions: 0", "retainVersions"),
                Arguments.of("bad compression", "distribution: debian\n  release: bookworm\n  compression: gzip", "$.spec.compression: does not have a value in the enumeration"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejectedImages")
    void invalidImagesAreRejected(String what, String spec, String expectedMessage) {
        assertThat(images.validate(image(spec))).as(what).isNotEmpty().anySatisfy(e -> assertThat(e).contains(expectedMessage));
    }

    static Stream<Arguments> rejectedProfiles() {
        return Stream.of(
                Arguments.of("no image", "imageMethod: tethered", "image"),
                Arguments.of("unknown method", "image: {name: a}\n  imageMethod: nfs", "$.spec.imageMethod: does not have a value in the enumeration"),
                Arguments.of("zero fraction", "image: {name: a}\n  writableLayer: {ramFraction: 0}", "ramFraction"),
                Arguments.of("fraction above one", "image: {name: a}\n  writableLayer: {ramFraction: 1.5}", "ramFraction"),
                Arguments.of("fraction and size", "image: {name: a}\n  writableLayer: {ramFraction: 0.5, size: 8Gi}", "not both"),
                Arguments.of("size with decimal suffix", "image: {name: a}\n  writableLayer: {size: 8GB}", "size"),
                Arguments.of("bad pinned digest", "image: {name: a, digest: 'sha256:xyz'}", "digest"),
                Arguments.of("unknown tpm policy", "image: {name: a}\n  tpmPolicy: maybe", "$.spec.tpmPolicy: does not have a value in the enumeration"),
                Arguments.of("same ports", "image: {name: a}\n  edges: {port: 8080, apiPort: 8080}", "must differ"),
                Arguments.of("port out of range", "image: {name: a}\n  edges: {port: 70000}", "port"),
                Arguments.of("kernel arg with space", "image: {name: a}\n  kernelArgs: ['quiet splash']", "pattern"),
                Arguments.of("persisted relative path", "image: {name: a}\n  persistence: {paths: [var/lib]}", "pattern"),
                Arguments.of("bad validity", "image: {name: a}\n  ssh: {certificateValidity: 30 days}", "certificateValidity"),
                Arguments.of("unknown hostname source", "image: {name: a}\n  hostname: {from: dhcp}", "$.spec.hostname.from: does not have a value in the enumeration"),
                Arguments.of("hostname domain with a space", "image: {name: a}\n  hostname: {domain: 'a b'}", "domain"),
                Arguments.of("relative node file", "image: {name: a}\n  nodeFiles: [{path: etc/hosts, template: x}]", "pattern"),
                Arguments.of("dot-dot in node file", "image: {name: a}\n  nodeFiles: [{path: /etc/../proc/x, template: x}]", "pattern"),
                Arguments.of("set-user-ID node file", "image: {name: a}\n  nodeFiles: [{path: /usr/bin/x, mode: '4755', template: x}]", "mode"),
                Arguments.of("node file owner with a shell character", "image: {name: a}\n  nodeFiles: [{path: /etc/x, owner: 'a;b:c', template: x}]", "owner"),
                Arguments.of("node file with two templates", "image: {name: a}\n  nodeFiles: [{path: /etc/x, template: x, templateFrom: {name: c, key: k}}]", "not both"),
                Arguments.of("node file without a template", "image: {name: a}\n  nodeFiles: [{path: /etc/x}]", "not both"),
                Arguments.of("node file twice", "image: {name: a}\n  nodeFiles: [{path: /etc/x, template: a}, {path: /etc/x, template: b}]", "must be unique"),
                Arguments.of("no node may be down", "image: {name: a}\n  rollout: {maxUnavailable: 0}", "maxUnavailable is a number"),
                Arguments.of("percentage over 100", "image: {name: a}\n  rollout: {maxUnavailable: '150%'}", "maxUnavailable is a number"),
                Arguments.of("boot timeout in days", "image: {name: a}\n  rollout: {bootTimeout: 2d}", "bootTimeout"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejectedProfiles")
    void invalidProfilesAreRejected(String what, String spec, String expectedMessage) {
        assertThat(profiles.validate(profile(spec))).as(what).isNotEmpty().anySatisfy(e -> assertThat(e).contains(expectedMessage));
    }

    static Stream<Arguments> rejectedCredentials() {
        String base = "nodeName: n1\n  profile: compute\n  ";
        return Stream.of(
                Arguments.of("no hardware identity", base + "hardware: {}", "give at least one MAC address or the SMBIOS UUID"),
                Arguments.of("upper-case MAC", base + "hardware: {macs: ['52:54:00:AB:CD:EF']}", "pattern"),
                Arguments.of("duplicate MACs", base + "hardware: {macs: ['52:54:00:12:34:56', '52:54:00:12:34:56']}", "must be unique"),
                Arguments.of("unknown arming", base + "hardware: {macs: ['52:54:00:12:34:56']}\n  arming: always", "$.spec.arming: does not have a value in the enumeration"),
                Arguments.of("bad node name", "nodeName: Node_1\n  profile: compute\n  hardware: {macs: ['52:54:00:12:34:56']}", "nodeName"),
                Arguments.of("no profile", "nodeName: n1\n  hardware: {macs: ['52:54:00:12:34:56']}", "profile"),
                Arguments.of("arming window without an offset", base + "hardware: {macs: ['52:54:00:12:34:56']}\n  armedUntil: '2026-12-02 06:00'", "armedUntil"),
                Arguments.of("endorsement key not a fingerprint", base + "hardware: {macs: ['52:54:00:12:34:56']}\n  endorsementKey: 'ABCDEF'", "endorsementKey"),
                Arguments.of("endorsement key of an absent TPM", base + "hardware: {macs: ['52:54:00:12:34:56']}\n  tpm: absent\n  endorsementKey: sha256:"
                        + "a".repeat(64), "so tpm cannot be absent"),
                Arguments.of("power without a BMC", base + "hardware: {macs: ['52:54:00:12:34:56']}\n  power: {state: 'on'}", "give spec.bmc too"),
                Arguments.of("BMC without a Secret", base + "hardware: {macs: ['52:54:00:12:34:56']}\n  bmc: {protocol: ipmi, address: 10.0.0.9}",
                        "credentialsSecret"),
                Arguments.of("BMC address with a shell character", base + "hardware: {macs: ['52:54:00:12:34:56']}\n"
                        + "  bmc: {protocol: ipmi, address: 'bmc;reboot', credentialsSecret: s}", "address"),
                Arguments.of("redfish settings on an IPMI BMC", base + "hardware: {macs: ['52:54:00:12:34:56']}\n"
                        + "  bmc: {protocol: ipmi, address: bmc1, credentialsSecret: s, redfish: {systemId: '1'}}", "need protocol: redfish"),
                Arguments.of("reboot request with a space", base + "hardware: {macs: ['52:54:00:12:34:56']}\n"
                        + "  bmc: {protocol: ipmi, address: bmc1, credentialsSecret: s}\n  power: {rebootRequest: 'a b'}", "rebootRequest"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejectedCredentials")
    void invalidCredentialsAreRejected(String what, String spec, String expectedMessage) {
        assertThat(credentials.validate(credential(spec))).as(what).isNotEmpty().anySatisfy(e -> assertThat(e).contains(expectedMessage));
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        var crds = CrdManifests.generate();
        assertThat(crds.get("disklessimages.tether.dev-v1.yml")).contains("default: \"enabled\"").contains("default: \"zstd\"");
        assertThat(crds.get("nodeprofiles.tether.dev-v1.yml")).contains("default: \"tethered\"").contains("default: \"preferred\"");
        assertThat(crds.get("nodecredentials.tether.dev-v1.yml")).contains("default: \"once\"");
    }

    private static String image(String spec) {
        return "apiVersion: tether.dev/v1alpha1\nkind: DisklessImage\nmetadata: {name: x}\nspec:\n  " + spec + "\n";
    }

    private static String profile(String spec) {
        return "apiVersion: tether.dev/v1alpha1\nkind: NodeProfile\nmetadata: {name: x}\nspec:\n  " + spec + "\n";
    }

    private static String credential(String spec) {
        return "apiVersion: tether.dev/v1alpha1\nkind: NodeCredential\nmetadata: {name: x}\nspec:\n  " + spec + "\n";
    }
}
