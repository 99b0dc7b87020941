package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.BootFiles;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.BuilderJobs;
import dev.tether.operator.Names;
import dev.tether.operator.image.BootOrderConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST boot-files}: the first list per image is kept with it (ConfigMap, status), bad lists are refused with a
 * reason, and the image is re-packed once with the order, unless its spec says not to.
 */
class NodeApiBootFilesTest extends NodeApiTestBase {
    private static final List<String> BOOT = List.of("/usr/lib/systemd/systemd", "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/etc/hostname", "/usr/sbin/sshd");

    String key;

    @BeforeEach
    void bootedNode() throws Exception {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        create(credential("node-001", "compute", Arming.ONCE));
        key = fetchKey("node-001");
    }

    private NodeApiTestClient.Response send(Object body) throws Exception {
        return api.post(NAMESPACE, "node-001", NodeApi.BOOT_FILES, key, body);
    }

    private ConfigMap bootOrder() {
        return harness.client.configMaps().inNamespace(NAMESPACE).withName(Names.bootOrderConfigMap("bookworm")).get();
    }

    private DisklessImage image() {
        return harness.client.resources(DisklessImage.class).inNamespace(NAMESPACE).withName("bookworm").get();
    }

    @Test
    void theFirstListIsKeptWithTheImageAndShownInItsStatus() throws Exception {
        var response = send(BootFiles.of(DIGEST, BOOT, NodeApi.MAX_BODY_BYTES));

        assertThat(response.status()).as(response.text()).isEqualTo(204);
        ConfigMap kept = bootOrder();
        assertThat(kept.getData().get(BootOrderConfigMap.FILES_KEY)).isEqualTo(String.join("\n", BOOT) + "\n");
        assertThat(kept.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(owner -> assertThat(owner.getName()).isEqualTo("bookworm"));
        eventually(() -> {
            DisklessImageStatus.BootOrder status = image().getStatus().bootOrder;
            assertThat(status).isNotNull();
            assertThat(status.fromDigest).isEqualTo(DIGEST);
            assertThat(status.node).isEqualTo("node-001");
            assertThat(status.files).isEqualTo(4L);
        });
    }

    @Test
    void aLaterListDoesNotReplaceTheFirst() throws Exception {
        assertThat(send(BootFiles.of(DIGEST, BOOT, NodeApi.MAX_BODY_BYTES)).status()).isEqualTo(204);
        create(credential("node-002", "compute", Arming.ONCE));
        String other = fetchKey("node-002");

        var response = api.post(NAMESPACE, "node-002", NodeApi.BOOT_FILES, other,
                BootFiles.of(DIGEST, List.of("/usr/bin/something-else"), NodeApi.MAX_BODY_BYTES));

        assertThat(response.status()).as(response.text()).isEqualTo(204);
        assertThat(bootOrder().getData().get(BootOrderConfigMap.FILES_KEY)).isEqualTo(String.join("\n", BOOT) + "\n");
    }

    @Test
    void aListForAnotherImagesVersionIsRefused() throws Exception {
        var response = send(BootFiles.of(OTHER_DIGEST, BOOT, NodeApi.MAX_BODY_BYTES));

        assertThat(response.status()).isEqualTo(403);
        assertThat(response.text()).contains("NotThisNodesImage");
        assertThat(bootOrder()).isNull();
    }

    @Test
    void aMalformedDigestIsRefused() throws Exception {
        assertRefused(new BootFiles("sha256:nothex", List.of("/usr"), List.of(new BootFiles.File(0, "x")), false), "digest");
    }

    @Test
    void aRelativeDirectoryIsRefused() throws Exception {
        assertRefused(list(List.of("usr/lib"), new BootFiles.File(0, "libc.so.6")), "not absolute");
    }

    @Test
    void aDotDotSegmentIsRefused() throws Exception {
        assertRefused(list(List.of("/usr/../etc"), new BootFiles.File(0, "shadow")), "not normalised");
    }

    @Test
    void aNameThatIsDotDotIsRefused() throws Exception {
        assertRefused(list(List.of("/usr"), new BootFiles.File(0, "..")), "is . or ..");
    }

    @Test
    void aNameWithASlashIsRefused() throws Exception {
        assertRefused(list(List.of("/usr"), new BootFiles.File(0, "lib/../../etc/passwd")), "holds a slash");
    }

    @Test
    void aNulIsRefused() throws Exception {
        assertRefused(list(List.of("/usr"), new BootFiles.File(0, "a\u0000b")), "control character");
    }

    @Test
    void aNewlineIsRefused() throws Exception {
        // A newline would add a line to the boot order the builder reads.
        assertRefused(list(List.of("/usr"), new BootFiles.File(0, "a\n/etc/shadow")), "control character");
    }

    @Test
    void aDirectoryIndexOutOfRangeIsRefused() throws Exception {
        assertRefused(list(List.of("/usr"), new BootFiles.File(7, "x")), "directory 7 of 1");
    }

    @Test
    void aPathLongerThanPathMaxIsRefused() throws Exception {
        String deep = "/" + String.join("/", Collections.nCopies(100, "d".repeat(50)));
        assertRefused(list(List.of(deep), new BootFiles.File(0, "x")), "longer than 4096 bytes");
    }

    @Test
    void aListThatSpellsOutTooLargeIsRefused() throws Exception {
        // A small body can name one long directory many times: what it spells out is bounded too (a ConfigMap is 1 MiB).
        var files = new ArrayList<BootFiles.File>();
        for (int i = 0; i < 200; i++) {
            files.add(new BootFiles.File(0, "f" + i));
        }
        assertRefused(new BootFiles(DIGEST, List.of("/" + "d".repeat(4000)), files, false),
                "more than " + BootFiles.MAX_LIST_BYTES + " bytes");
    }

    @Test
    void moreEntriesThanTheBoundAreRefusedWhateverTheTransportCarries() {
        var tooMany = new ArrayList<BootFiles.File>();
        for (int i = 0; i <= BootFiles.MAX_FILES; i++) {
            tooMany.add(new BootFiles.File(0, "a"));
        }

        assertThatThrownBy(() -> new BootFiles(DIGEST, List.of("/"), tooMany, false).paths())
                .hasMessageContaining("at most " + BootFiles.MAX_FILES);
    }

    @Test
    void aBodyOverTheNodeApisLimitIsRefusedUnread() throws Exception {
        var response = send(("{\"digest\":\"" + DIGEST + "\",\"directories\":[\"/" + "x".repeat(NodeApi.MAX_BODY_BYTES)
                + "\"],\"files\":[]}").getBytes(StandardCharsets.UTF_8));

        assertThat(response.status()).isEqualTo(413);
        assertThat(bootOrder()).isNull();
    }

    @Test
    void aSecondListWithinAMinuteIsRateLimited() throws Exception {
        assertThat(send(BootFiles.of(DIGEST, BOOT, NodeApi.MAX_BODY_BYTES)).status()).isEqualTo(204);

        var response = send(BootFiles.of(DIGEST, BOOT, NodeApi.MAX_BODY_BYTES));

        assertThat(response.status()).isEqualTo(429);
        assertThat(response.headers()).containsKey("retry-after");
    }

    @Test
    void theImageIsRepackedOnceWithTheOrderAndTheRepackSaysSo() throws Exception {
        assertThat(send(BootFiles.of(DIGEST, BOOT, NodeApi.MAX_BODY_BYTES)).status()).isEqualTo(204);

        String repack = Names.repackJob("bookworm", 1);
        var job = eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName(repack).get());
        var container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(String.join(" ", container.getCommand() == null ? container.getArgs() : container.getCommand()))
                .contains("--boot-order /etc/tether/boot-order/files");
        assertThat(job.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v -> {
            assertThat(v.getConfigMap()).isNotNull();
            assertThat(v.getConfigMap().getName()).isEqualTo(Names.bootOrderConfigMap("bookworm"));
        });
        String repacked = "sha256:" + "f".repeat(64);
        BuilderJobs.succeed(harness, repack, BuilderJobs.result(repacked, "6.1.0-28-amd64", 100_000_000L)
                .replace("}", ",\"bootOrderFiles\":4}"));
        eventually(() -> assertThat(image().getStatus().digest).isEqualTo(repacked));
        DisklessImageStatus.Build build = image().getStatus().build;
        assertThat(build.repack).isTrue();
        assertThat(build.bootOrderFiles).isEqualTo(4L);

        // Wake the image once more (the ConfigMap changes): no third build follows.
        touchBootOrder();
        assertThat(builderJobs()).containsExactlyInAnyOrder(Names.buildJob("bookworm", 1), repack);
    }

    @Test
    void noRepackWhenTheSpecTurnsItOff() throws Exception {
        var image = image();
        image.getSpec().bootOrder = new DisklessImageSpec.BootOrder();
        image.getSpec().bootOrder.repack = false;
        harness.client.resource(image).update();
        // The spec change is a new generation: build it, so the current build is the spec's.
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName(Names.buildJob("bookworm", 2)).get());
        BuilderJobs.succeed(harness, Names.buildJob("bookworm", 2), BuilderJobs.result("sha256:" + "9".repeat(64),
                "6.1.0-28-amd64", 100_000_000L));
        eventually(() -> assertThat(image().getStatus().digest).isEqualTo("sha256:" + "9".repeat(64)));

        assertThat(api.post(NAMESPACE, "node-001", NodeApi.BOOT_FILES, key,
                BootFiles.of("sha256:" + "9".repeat(64), BOOT, NodeApi.MAX_BODY_BYTES)).status()).isEqualTo(204);
        touchBootOrder();

        assertThat(builderJobs()).doesNotContain(Names.repackJob("bookworm", 2));
    }

    /** Changes the kept order's time and waits until the image's status shows it: the image was reconciled since. */
    private void touchBootOrder() {
        String marker = "2001-01-01T00:00:00Z";
        eventually(() -> assertThat(bootOrder()).isNotNull());
        harness.client.configMaps().inNamespace(NAMESPACE).withName(Names.bootOrderConfigMap("bookworm"))
                .edit(c -> {
                    c.getMetadata().getAnnotations().put("tether.dev/boot-order-recorded-at", marker);
                    return c;
                });
        eventually(() -> assertThat(image().getStatus().bootOrder.recordedAt).isEqualTo(marker));
    }

    private List<String> builderJobs() {
        return harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withLabel(Names.COMPONENT, "builder").list()
                .getItems().stream().map(j -> j.getMetadata().getName()).toList();
    }

    private static BootFiles list(List<String> directories, BootFiles.File file) {
        return new BootFiles(DIGEST, directories, List.of(file), false);
    }

    private void assertRefused(Object body, String reason) throws Exception {
        var response = send(body);
        assertThat(response.status()).as(response.text()).isEqualTo(400);
        assertThat(response.text()).contains("BadBootFiles").contains(reason);
        assertThat(bootOrder()).isNull();
    }
}
