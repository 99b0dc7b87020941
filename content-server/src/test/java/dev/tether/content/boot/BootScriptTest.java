package dev.tether.content.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.content.edge.EdgeServer;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.RawHttp;
import dev.tether.content.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** iPXE scripts by MAC address and the addon archive, from the operator's boot configuration. */
class BootScriptTest {
    static final String K = "1".repeat(64);
    static final String I = "2".repeat(64);
    static final String R = "3".repeat(64);
    static final String M = "4".repeat(64);

    @TempDir
    Path dir;
    Path config;
    EdgeServer edge;

    static String config(String mac, String node) {
        return """
                {"profiles":{"compute":{"kernel":"sha256:%s","initramfs":"sha256:%s","rootImage":"sha256:%s",
                   "image":"sha256:%s","method":"tethered","kernelArgs":"console=ttyS0 quiet","addonFile":"addon-compute.cpio"}},
                 "nodes":{"%s":{"node":"%s","profile":"compute"}},
                 "edgeUrls":["http://10.0.0.5:8080","http://10.0.0.6:8080"]}
                """.formatted(K, I, R, M, mac, node);
    }

    @BeforeEach
    void start() throws Exception {
        config = dir.resolve("config/boot.json");
        Files.createDirectories(config.getParent());
        Files.writeString(config, config("52:54:00:12:34:56", "n1"));
        Files.write(config.getParent().resolve("addon-compute.cpio"), Blobs.random(3000, 1));
        // The origin is never asked here: prefetch of the profile's digests fails quietly.
        edge = TestServers.edge(dir.resolve("cache"), 1L << 30, "http://127.0.0.1:9", List.of(), config, null);
    }

    @AfterEach
    void stop() {
        edge.close();
    }

    RawHttp.Response get(String path) throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: edge-1.example:8080\r\n\r\n");
            return c.read();
        }
    }

    @Test
    void aKnownMacGetsItsBootScript() throws Exception {
        RawHttp.Response r = get("/boot/ipxe?mac=52:54:00:12:34:56");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).isEqualTo("""
                #!ipxe
                echo Tether: booting n1 with profile compute (tethered)
                kernel http://edge-1.example:8080/blobs/sha256/%s initrd=initramfs initrd=addon tether.node=n1 \
                tether.profile=compute tether.method=tethered tether.edges=http://10.0.0.5:8080,http://10.0.0.6:8080 \
                tether.image=sha256:%s boot=tether console=ttyS0 quiet
                initrd --name initramfs http://edge-1.example:8080/blobs/sha256/%s
                initrd --name addon http://edge-1.example:8080/boot/compute/addon.cpio
                boot
                """.formatted(K, M, I));
    }

    @Test
    void macsMatchWhateverTheirCaseOrSeparator() throws Exception {
        assertThat(get("/boot/ipxe?mac=52-54-00-12-34-56").text()).contains("tether.node=n1");
        assertThat(get("/boot/ipxe?mac=52:54:00:12:34:56".toUpperCase().replace("BOOT/IPXE?MAC", "boot/ipxe?mac")).text())
                .contains("tether.node=n1");
    }

    @Test
    void anUnknownMacIsToldWhatToDoAndRetries() throws Exception {
        RawHttp.Response r = get("/boot/ipxe?mac=52:54:00:99:99:99");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).startsWith("#!ipxe\n")
                .contains("echo Tether: no NodeCredential lists MAC 52:54:00:99:99:99.")
                .contains("Create a NodeCredential")
                .contains("sleep 10\nchain http://edge-1.example:8080/boot/ipxe?mac=${mac}\n")
                .doesNotContain("kernel ");
    }

    @Test
    void aMalformedMacIsNeverEchoedRaw() throws Exception {
        RawHttp.Response r = get("/boot/ipxe?mac=%24%7Bpassword%7D%0Ashell");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).contains("no valid MAC address (got ??password??shell)").doesNotContain("${password}")
                .contains("sleep 10");
        assertThat(get("/boot/ipxe").text()).contains("(got nothing)");
    }

    @Test
    void anInvalidHostIsRefused() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("GET /boot/ipxe?mac=52:54:00:12:34:56 HTTP/1.1\r\nHost: evil/\"x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(400);
        }
    }

    @Test
    void servesTheProfilesAddonArchiveWithRanges() throws Exception {
        byte[] addon = Files.readAllBytes(config.getParent().resolve("addon-compute.cpio"));
        RawHttp.Response whole = get("/boot/compute/addon.cpio");
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(addon);
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send(RawHttp.get("/boot/compute/addon.cpio", "Range: bytes=10-19"));
            assertThat(c.read().body()).isEqualTo(java.util.Arrays.copyOfRange(addon, 10, 20));
        }
        assertThat(get("/boot/nope/addon.cpio").status()).isEqualTo(404);
        assertThat(get("/boot/..%2fboot.json/addon.cpio").status()).isEqualTo(404);
    }

    @Test
    void anUnknownMachineUnderTheDiscoveryPrefixesBootsToRegisterAndOthersAreToldTheyAreUnknown() throws Exception {
        replaceConfig(config("52:54:00:12:34:56", "n1").replaceFirst("}\\s*$",
                ",\"discovery\":{\"profile\":\"compute\",\"macPrefixes\":[\"0c:c4:7a\"]}}"));
        awaitScript("/boot/ipxe?mac=0c:c4:7a:00:00:01", "tether.discover=0c:c4:7a:00:00:01");

        String register = get("/boot/ipxe?mac=0c:c4:7a:00:00:01").text();
        assertThat(register).contains("echo Tether: no NodeCredential lists MAC 0c:c4:7a:00:00:01; registering it with profile compute")
                .contains("/blobs/sha256/" + K + " initrd=initramfs initrd=addon tether.discover=0c:c4:7a:00:00:01 tether.profile=compute")
                .contains("initrd --name addon http://edge-1.example:8080/boot/compute/addon.cpio")
                .doesNotContain("tether.node=");
        assertThat(get("/boot/ipxe?mac=52:54:00:99:99:99").text()).as("outside the prefixes")
                .contains("no NodeCredential lists MAC 52:54:00:99:99:99").doesNotContain("kernel ");
        assertThat(get("/boot/ipxe?mac=52:54:00:12:34:56").text()).as("a known node boots as itself").contains("tether.node=n1");
    }

    /**
     * Two writes within one tick of the file system's clock (4 ms on a 250 Hz kernel) leave the same modification time,
     * and these two configurations are the same size: a file replaced in one step is still a new file. Before the
     * watcher told files apart by more than path, size and time, the edge kept the first one for good (a flaky
     * {@link #aChangedConfigurationIsPickedUpAndABrokenOneIgnored} on a fast machine).
     */
    @Test
    void aConfigurationReplacedWithinOneTickOfTheClockIsStillPickedUp() throws Exception {
        String next = config("52:54:00:aa:bb:cc", "n2");
        assertThat(next).hasSameSizeAs(Files.readString(config));
        replaceConfig(next, Files.getLastModifiedTime(config));
        awaitScript("/boot/ipxe?mac=52:54:00:aa:bb:cc", "tether.node=n2");
    }

    @Test
    void aDiscoverySectionThatNamesNoProfileOrBadPrefixesIsRefused() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, config("52:54:00:12:34:56", "n1").replaceFirst("}\\s*$", ",\"discovery\":{\"profile\":\"gpu\"}}"));
        assertThatThrownBy(() -> LoadedBootConfig.load(bad)).hasMessageContaining("discovery.profile");
        Files.writeString(bad, config("52:54:00:12:34:56", "n1").replaceFirst("}\\s*$",
                ",\"discovery\":{\"profile\":\"compute\",\"macPrefixes\":[\"52:54:00 boot=x\"]}}"));
        assertThatThrownBy(() -> LoadedBootConfig.load(bad)).hasMessageContaining("not a MAC prefix");
    }

    @Test
    void aChangedConfigurationIsPickedUpAndABrokenOneIgnored() throws Exception {
        replaceConfig(config("52:54:00:aa:bb:cc", "n2"));
        awaitScript("/boot/ipxe?mac=52:54:00:aa:bb:cc", "tether.node=n2");
        replaceConfig("{\"profiles\":{\"x\":{\"kernel\":\"nope\"}}}");
        // The edge has read the broken file and rejected it; only then is "still the previous one" a finding.
        await().atMost(Duration.ofSeconds(30))
                .until(() -> edge.metrics().scrape().contains("tether_boot_config_reloads_total{result=\"rejected\"} 1.0"));
        assertThat(get("/boot/ipxe?mac=52:54:00:aa:bb:cc").text()).contains("tether.node=n2");
        assertThat(edge.metrics().scrape()).contains("tether_boot_config_reloads_total{result=\"applied\"} 1.0");
    }

    @Test
    void aColdEdgePrefetchesWhatNodesAskForFirstFirst() throws Exception {
        // Two profiles, the second named first in the file: kernels, then initramfs images, then manifests, then
        // the root images, each by profile name; a node's kernel never waits behind a root image's fill.
        Path two = dir.resolve("two.json");
        Files.writeString(two, """
                {"profiles":{
                   "gpu":{"kernel":"sha256:%s","initramfs":"sha256:%s","rootImage":"sha256:%s","image":"sha256:%s",
                          "method":"tethered","kernelArgs":"","addonFile":"addon-gpu.cpio"},
                   "compute":{"kernel":"sha256:%s","initramfs":"sha256:%s","rootImage":"sha256:%s","image":"sha256:%s",
                          "method":"tethered","kernelArgs":"","addonFile":"addon-compute.cpio"}},
                 "nodes":{}, "edgeUrls":["http://10.0.0.5:8080"]}
                """.formatted("a".repeat(64), "b".repeat(64), "c".repeat(64), "d".repeat(64), K, I, R, M));
        assertThat(LoadedBootConfig.load(two).referencedDigests()).extracting(Object::toString).containsExactly(
                "sha256:" + K, "sha256:" + "a".repeat(64), "sha256:" + I, "sha256:" + "b".repeat(64),
                "sha256:" + M, "sha256:" + "d".repeat(64), "sha256:" + R, "sha256:" + "c".repeat(64));
    }

    @Test
    void validationNamesTheFieldAtFault() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, config("52:54:00:12:34:56", "n1").replace("tethered", "sideways"));
        assertThatThrownBy(() -> LoadedBootConfig.load(bad)).hasMessageContaining("profiles.compute.method");
        Files.writeString(bad, config("52:54:00:12:34:56", "n1").replace("quiet", "quiet\\nboot"));
        assertThatThrownBy(() -> LoadedBootConfig.load(bad)).hasMessageContaining("kernelArgs");
        Files.writeString(bad, config("not-a-mac", "n1"));
        assertThatThrownBy(() -> LoadedBootConfig.load(bad)).hasMessageContaining("not a MAC address");
        Files.writeString(bad, config("52:54:00:12:34:56", "n1").replace("addon-compute.cpio", "../etc/passwd"));
        assertThatThrownBy(() -> LoadedBootConfig.load(bad)).hasMessageContaining("addonFile");
    }

    /** Replaces the file in one step, as Kubernetes updates a mounted ConfigMap: the edge never sees half of it. */
    private void replaceConfig(String json) throws Exception {
        replaceConfig(json, null);
    }

    /** @param modified the new file's modification time, or null for the time of its writing */
    private void replaceConfig(String json, FileTime modified) throws Exception {
        Path next = config.resolveSibling(".boot.json.next");
        Files.writeString(next, json);
        if (modified != null) {
            Files.setLastModifiedTime(next, modified);
        }
        Files.move(next, config, StandardCopyOption.ATOMIC_MOVE);
    }

    private void awaitScript(String path, String expected) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get(path).text()).contains(expected));
    }
}
