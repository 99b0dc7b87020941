package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.ManifestServer;
import dev.tether.image.format.ChunkHashes;
import dev.tether.image.format.ChunkSealer;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageCipher;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.ImageOptions;
import dev.tether.image.format.Manifest;
import dev.tether.image.format.RootImagePin;
import dev.tether.image.format.RootImageWriter;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge that serves a container of its own under the real image's URL: the attack is a downgrade (its own
 * unencrypted container, whose chunks carry plain hashes it can compute, in place of the encrypted image) or
 * another build, or, under an unencrypted image's URL, the pinned header with chunks of its own. The reader holds
 * the edge's header to the manifest's pins before it reads any chunk, and each chunk of an unencrypted image to the
 * hash the manifest pins for it, tethered and untethered; it asks another edge when one serves another image, and
 * stops when none serves the pinned one. The edges are real HTTP servers on loopback.
 */
class ForeignImageTest {
    private static TestImage image;
    private static RootImagePin pin;
    private static byte[] plain;
    private static ImageHeader plainHeader;
    private static RootImagePin plainPin;

    @TempDir
    Path dir;
    private final List<String> console = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void buildImage() throws Exception {
        Tools.assumeMksquashfs();
        image = TestImage.shared();
        pin = new RootImagePin(image.digest, Files.size(image.container), RootImagePin.headerDigest(image.header),
                ImageCipher.AES_256_GCM, image.key.keyIdHex(), TestImage.CHUNK_SIZE, Files.size(image.squashfs));
        // The same squashfs packed unencrypted (imgutil pack --unencrypted), and what its manifest pins.
        Path file = Files.createTempFile(image.dir, "unencrypted-", ".img");
        plainHeader = RootImageWriter.writeFile(image.squashfs, file,
                ImageOptions.unencrypted().withChunkSize(TestImage.CHUNK_SIZE));
        plain = Files.readAllBytes(file);
        plainPin = RootImagePin.of(Manifest.parse(ManifestServer.manifest(plain).toJson()));
    }

    @Test
    void tetheredRefusesAnUnencryptedContainerServedUnderTheEncryptedImagesUrl() throws Exception {
        byte[] unencrypted = container(ImageOptions.unencrypted());
        try (FakeEdge forged = new FakeEdge(unencrypted, FakeEdge.Behaviour.GOOD, 0)) {
            assertThatThrownBy(() -> RemoteRootImage.open(List.of(forged.url()), pin, image.key, settings()))
                    .isInstanceOf(ForeignImageException.class)
                    .hasMessage("no edge serves the header of root image " + ContentDigest.shortForm(image.digest)
                            + " as the manifest pins it (" + forged.url() + ": cipher NONE+SHA-256 where the manifest"
                            + " pins AES-256-GCM, key id (none) where the manifest pins " + image.key.keyIdHex()
                            + ", header digest " + headerDigestOf(unencrypted) + " where the manifest pins "
                            + ContentDigest.shortForm(pin.headerDigest()) + "); an edge that serves another image under"
                            + " this digest was tampered with or holds a wrong copy, so the boot stops rather than trust"
                            + " it: check those edges, delete their cached copy of the blob, and boot again");
            assertThat(forged.requests).as("the header only: no chunk was read").hasValue(1);
        }
    }

    @Test
    void aForeignHeaderWrittenOverTheStartOfTheGenuineCopyStopsTheReadInsteadOfBeingWaitedOut() throws Exception {
        // The genuine container's size, so the edge serves it at the size the genuine one has: the header is
        // judged against the pin before the size, or the read would wait for a "damaged" copy to be repaired.
        byte[] unencrypted = container(ImageOptions.unencrypted());
        byte[] tampered = Files.readAllBytes(image.container);
        System.arraycopy(unencrypted, 0, tampered, 0, Math.min(unencrypted.length, tampered.length));
        try (FakeEdge forged = new FakeEdge(tampered, FakeEdge.Behaviour.GOOD, 0)) {
            assertThatThrownBy(() -> RemoteRootImage.open(List.of(forged.url()), pin, image.key, settings()))
                    .isInstanceOf(ForeignImageException.class)
                    .hasMessageContaining(forged.url() + ": cipher NONE+SHA-256 where the manifest pins AES-256-GCM");
        }
    }

    @Test
    void aRealEdgeWhoseCachedCopyWasReplacedServesTheGenuineImageAgain() throws Exception {
        try (TestEdges edges = TestEdges.start(dir, image.container, 1)) {
            edges.fillAll();
            edges.kill(0);
            edges.replaceCached(0, container(ImageOptions.unencrypted()));
            // A restarted edge verifies what it finds on disk before serving it under a digest (issue #14), so
            // the replaced copy is dropped and filled again; the agent's own check stays the safety net for an
            // edge that does not (the FakeEdge tests above and below).
            edges.restart(0);
            try (RemoteRootImage remote = RemoteRootImage.open(edges.urls(), pin, image.key, settings())) {
                assertThat(remote.header().cipher()).isEqualTo(ImageCipher.AES_256_GCM);
            }
        }
    }

    @Test
    void untetheredRefusesItBeforeDownloadingAnything() throws Exception {
        Path ram = dir.resolve("ram");
        try (FakeEdge forged = new FakeEdge(container(ImageOptions.unencrypted()), FakeEdge.Behaviour.GOOD, 0)) {
            assertThatThrownBy(() -> RootImageMount.untethered(List.of(forged.url()), pin, image.key, ram, progress -> { },
                    settings().fetch()))
                    .isInstanceOf(ForeignImageException.class)
                    .hasMessageContaining(forged.url() + ": cipher NONE+SHA-256 where the manifest pins AES-256-GCM");
            assertThat(forged.requests).hasValue(1);
        }
        assertThat(ram.resolve(RootImageMount.FILE_NAME)).doesNotExist();
    }

    @Test
    void anotherKeyOrAnotherChunkSizeIsRefusedByName() throws Exception {
        ImageKey otherKey = ImageKey.generate(new SecureRandom());
        try (FakeEdge otherKeys = new FakeEdge(container(ImageOptions.encrypted(otherKey)), FakeEdge.Behaviour.GOOD, 0);
             FakeEdge otherChunks = new FakeEdge(container(ImageOptions.encrypted(image.key).withChunkSize(
                     2 * TestImage.CHUNK_SIZE)), FakeEdge.Behaviour.GOOD, 0)) {
            assertThatThrownBy(() -> RemoteRootImage.open(List.of(otherKeys.url()), pin, image.key, settings()))
                    .isInstanceOf(ForeignImageException.class)
                    .hasMessageContaining(otherKeys.url() + ": key id " + otherKey.keyIdHex() + " where the manifest pins "
                            + image.key.keyIdHex());
            assertThatThrownBy(() -> RemoteRootImage.open(List.of(otherChunks.url()), pin, image.key, settings()))
                    .isInstanceOf(ForeignImageException.class)
                    .hasMessageContaining(otherChunks.url() + ": chunk size 524288 where the manifest pins 262144");
        }
    }

    @Test
    void anEdgeServingAnotherImageIsNamedAndTheImageReadFromAnother() throws Exception {
        try (FakeEdge forged = new FakeEdge(container(ImageOptions.unencrypted()), FakeEdge.Behaviour.GOOD, 0);
             FakeEdge honest = new FakeEdge(Files.readAllBytes(image.container), FakeEdge.Behaviour.GOOD, 0);
             RemoteRootImage remote = RemoteRootImage.open(List.of(forged.url(), honest.url()), pin, image.key,
                     settings())) {
            assertThat(remote.header()).isEqualTo(image.header);
            byte[] expected = Files.readAllBytes(image.squashfs);
            byte[] got = new byte[expected.length];
            for (int position = 0; position < got.length; ) {
                position += remote.read(position, ByteBuffer.wrap(got, position, got.length - position));
            }
            assertThat(got).isEqualTo(expected);
        }
        assertThat(console).first().asString().matches("http://127\\.0\\.0\\.1:\\d+ answered for the header of root image "
                + "[0-9a-f]{12} with another image's: cipher NONE\\+SHA-256 where the manifest pins"
                + " AES-256-GCM, .*; not asking it again");
    }

    @Test
    void withoutAManifestAGivenKeyStillRefusesAnUnencryptedContainer() throws Exception {
        // tether.rootimage= without a node API: no pins, but a key says the image is encrypted.
        try (FakeEdge forged = new FakeEdge(container(ImageOptions.unencrypted()), FakeEdge.Behaviour.GOOD, 0)) {
            assertThatThrownBy(() -> RemoteRootImage.open(List.of(forged.url()), image.digest, image.key, settings()))
                    .isInstanceOf(ForeignImageException.class)
                    .hasMessageContaining(forged.url() + ": cipher NONE+SHA-256 though the image key says it is encrypted");
        }
    }

    /**
     * The chunks of an unencrypted image carry plain hashes, so an edge can serve the pinned header with chunks of
     * its own and the hashes it computed for them. The manifest pins every chunk's hash: a tethered read takes each
     * chunk only as pinned, from the honest edge, and names the other.
     */
    @Test
    void tetheredReadsAnUnencryptedImageOnlyAsPinnedWhenAnEdgeServesChunksOfItsOwn() throws Exception {
        byte[] forgedBytes = withChunksOfItsOwn(LongStream.range(0, plainHeader.chunkCount()).toArray());
        URI forgedUrl;
        try (FakeEdge forged = new FakeEdge(forgedBytes, FakeEdge.Behaviour.GOOD, 0);
             FakeEdge honest = new FakeEdge(plain, FakeEdge.Behaviour.GOOD, 0);
             RemoteRootImage remote = RemoteRootImage.open(List.of(forged.url(), honest.url()), plainPin, null,
                     settings())) {
            forgedUrl = forged.url();
            byte[] expected = Files.readAllBytes(image.squashfs);
            byte[] got = new byte[expected.length];
            for (int position = 0; position < got.length; ) {
                position += remote.read(position, ByteBuffer.wrap(got, position, got.length - position));
            }
            assertThat(got).isEqualTo(expected);
            assertThat(forged.requests.get()).as("the forged edge was asked, for the header at least").isPositive();
        }
        assertThat(console).anySatisfy(line -> assertThat(line).matches(Pattern.quote(forgedUrl.toString())
                // A read of several chunks fetches them together ("chunks 8 to 9"); the forged edge forges each, so the
                // first of them is the one named.
                + " answered for chunks? (\\d+)( to \\d+)? of root image [0-9a-f]{12} with another image's:"
                + " chunk \\1 is"
                + " not the one the manifest pins \\(its SHA-256 [0-9a-f]{12}\\.\\.\\. where the manifest pins"
                + " [0-9a-f]{12}\\.\\.\\.\\), though it carries a matching hash of its own; not asking it again"));
    }

    /** With no honest edge, the read of the forged chunk is an I/O error, never the edge's bytes. */
    @Test
    void tetheredReadOfAChunkOfTheEdgesOwnFailsWhenNoEdgeServesThePinnedOne() throws Exception {
        byte[] forgedBytes = withChunksOfItsOwn(1);
        byte[] squashfs = Files.readAllBytes(image.squashfs);
        try (FakeEdge forged = new FakeEdge(forgedBytes, FakeEdge.Behaviour.GOOD, 0);
             RemoteRootImage remote = RemoteRootImage.open(List.of(forged.url()), plainPin, null, settings())) {
            ByteBuffer first = ByteBuffer.allocate(TestImage.CHUNK_SIZE);
            assertThat(remote.read(0, first)).as("chunk 0 is the pinned one").isEqualTo(TestImage.CHUNK_SIZE);
            assertThat(first.array()).isEqualTo(Arrays.copyOf(squashfs, TestImage.CHUNK_SIZE));

            ByteBuffer second = ByteBuffer.allocate(TestImage.CHUNK_SIZE);
            String refusal = "no edge serves chunk 1 of root image " + ContentDigest.shortForm(plainPin.containerDigest())
                    + " as the manifest pins it (" + forged.url() + ": chunk 1 is not the one the manifest pins (its"
                    + " SHA-256 " + chunkHash(forgedBytes, 1) + " where the manifest pins " + chunkHash(plain, 1)
                    + "), though it carries a matching hash of its own); an edge that serves another image under this"
                    + " digest was tampered with or holds a wrong copy, so the boot stops rather than trust it: check"
                    + " those edges, delete their cached copy of the blob, and boot again";
            assertThatThrownBy(() -> remote.read(TestImage.CHUNK_SIZE, second))
                    .isInstanceOf(ForeignImageException.class)
                    .hasMessage(refusal);
            assertThat(second.position()).as("no byte of the forged chunk was handed out").isZero();
            assertThat(console).contains(refusal);
        }
    }

    @Test
    void untetheredRefusesAnUnencryptedImageWithAChunkOfTheEdgesOwnAsItArrives() throws Exception {
        byte[] forgedBytes = withChunksOfItsOwn(1);
        Path ram = dir.resolve("ram");
        try (FakeEdge forged = new FakeEdge(forgedBytes, FakeEdge.Behaviour.GOOD, 0)) {
            assertThatThrownBy(() -> RootImageMount.untethered(List.of(forged.url()), plainPin, null, ram,
                    progress -> { }, settings().fetch()))
                    .isInstanceOf(ForeignImageException.class)
                    .hasMessageStartingWith("no edge serves chunks 0-")
                    .hasMessageContaining(" as the manifest pins it (" + forged.url() + ": chunk 1 is not the one the"
                            + " manifest pins");
        }
        assertThat(ram.resolve(RootImageMount.FILE_NAME)).doesNotExist();
    }

    /**
     * A pinned untethered download is not hashed as a whole: each chunk is bound to the pinned header as it arrives. So
     * an edge that serves the pinned header with the chunks of another build sealed with the same key (what the
     * container digest caught before) has every one of them refused by its tag, and the image is read from the honest
     * edge.
     */
    @Test
    void untetheredRefusesAnotherBuildsChunksUnderThePinnedHeaderAndReadsThemFromAnotherEdge() throws Exception {
        byte[] genuine = Files.readAllBytes(image.container);
        byte[] forgedBytes = container(ImageOptions.encrypted(image.key));
        assertThat(forgedBytes).as("a build of the same squashfs with the same key").hasSameSizeAs(genuine);
        System.arraycopy(genuine, 0, forgedBytes, 0, ImageHeader.SIZE);
        Path ram = dir.resolve("ram");
        // Listed first, the forger is asked for the first range (EdgeSet.claim spreads ranges by their first chunk).
        try (FakeEdge forged = new FakeEdge(forgedBytes, FakeEdge.Behaviour.GOOD, 0);
             FakeEdge honest = new FakeEdge(genuine, FakeEdge.Behaviour.GOOD, 0);
             RootImageMount mount = RootImageMount.untethered(List.of(forged.url(), honest.url()), pin, image.key, ram,
                     progress -> { }, settings().fetch())) {
            assertThat(mount.squashfsFile()).hasSameBinaryContentAs(image.squashfs);
            assertThat(forged.requests).as("asked for chunks, not only the header").hasValueGreaterThan(1);
            assertThat(console).anySatisfy(line -> assertThat(line).startsWith("chunk").contains(forged.url()
                    + " failed verification"));
        }
    }

    /**
     * An untethered node that boots before its image is in RAM copies it behind the running node; the copy holds every
     * chunk to the pinned header as the served reads do. An edge serving the pinned header with another build's chunks
     * (the same key) gets every one refused by its tag, and the copy, which the root's loop device would move onto, is
     * the genuine squashfs, read from the honest edge.
     */
    @Test
    void theCopyIntoRamOfAServedImageRefusesAnotherBuildsChunksAndReadsThemFromAnotherEdge() throws Exception {
        Tools.assumeRealMounts();
        byte[] genuine = Files.readAllBytes(image.container);
        byte[] forgedBytes = container(ImageOptions.encrypted(image.key));
        System.arraycopy(genuine, 0, forgedBytes, 0, ImageHeader.SIZE);
        Path ram = dir.resolve("ram");
        try (FakeEdge forged = new FakeEdge(forgedBytes, FakeEdge.Behaviour.GOOD, 0);
             FakeEdge honest = new FakeEdge(genuine, FakeEdge.Behaviour.GOOD, 0);
             RootImageMount mount = RootImageMount.untetheredServedUntilInRam(List.of(forged.url(), honest.url()), pin,
                     image.key, ram, settings())) {
            Path copy = mount.fillRam(wait -> { }, progress -> { });
            assertThat(copy).hasSameBinaryContentAs(image.squashfs);
            assertThat(forged.requests).as("asked for chunks, not only the header").hasValueGreaterThan(1);
            assertThat(console).anySatisfy(line -> assertThat(line).startsWith("chunk").contains(forged.url()
                    + " failed verification"));
            assertThat(mount.stats().integrityFailures()).as("the forger's answers refused").isPositive();
        }
        assertThat(ram.resolve(RootImageMount.FILE_NAME)).as("closed before it was moved onto: given back").doesNotExist();
    }

    /**
     * A container named without a manifest ({@code tether.rootimage=}, only without a node API) has no chunk pins;
     * its untethered download is still held to the container digest as a whole.
     */
    @Test
    void withoutAManifestAnUntetheredDownloadIsHeldToTheContainerDigest() throws Exception {
        byte[] forgedBytes = withChunksOfItsOwn(1);
        Path ram = dir.resolve("ram");
        try (FakeEdge forged = new FakeEdge(forgedBytes, FakeEdge.Behaviour.GOOD, 0)) {
            assertThatThrownBy(() -> RootImageMount.untethered(List.of(forged.url()), plainPin.containerDigest(), null,
                    ram, progress -> { }, settings().fetch()))
                    .isInstanceOf(ForeignImageException.class)
                    .hasMessage("the root image downloaded from [" + forged.url() + "] is not "
                            + ContentDigest.shortForm(plainPin.containerDigest()) + " (its digest is "
                            + ContentDigest.shortForm(ContentDigest.of(forgedBytes)) + "): an edge served chunks of"
                            + " another image that its header's checks could not tell apart, so the download is"
                            + " discarded; check those edges, delete their cached copy of the blob, and boot again");
        }
        assertThat(ram.resolve(RootImageMount.FILE_NAME)).doesNotExist();
    }

    /**
     * The unencrypted image with {@code chunks} replaced by bodies of the edge's own, each sealed under the pinned
     * header with the hash the edge computed for it, as anyone can: every check but the manifest's chunk pins passes.
     */
    private static byte[] withChunksOfItsOwn(long... chunks) throws Exception {
        byte[] forged = plain.clone();
        byte[] squashfs = Files.readAllBytes(image.squashfs);
        ChunkSealer sealer = new ChunkSealer(plainHeader, null);
        for (long chunk : chunks) {
            ByteBuffer body = ByteBuffer.wrap(squashfs, Math.toIntExact(chunk * TestImage.CHUNK_SIZE),
                    plainHeader.plaintextLength(chunk)).slice();
            body.put(0, (byte) (body.get(0) ^ 0x5a));
            sealer.seal(chunk, body, ByteBuffer.wrap(forged, (int) plainHeader.chunkOffset(chunk),
                    plainHeader.chunkLength(chunk)));
        }
        return forged;
    }

    /** The short form of the hash chunk {@code index} of an unencrypted container carries (its last bytes). */
    private static String chunkHash(byte[] container, long index) {
        int end = (int) (plainHeader.chunkOffset(index) + plainHeader.chunkLength(index));
        return HexFormat.of().formatHex(container, end - ChunkHashes.HASH_LENGTH, end - ChunkHashes.HASH_LENGTH + 6)
                + "...";
    }

    /** The test image's squashfs sealed again, as an edge could: its own container under the same URL. */
    private byte[] container(ImageOptions options) throws Exception {
        ImageOptions sized = options.chunkSize() == ImageHeader.DEFAULT_CHUNK_SIZE
                ? options.withChunkSize(TestImage.CHUNK_SIZE) : options;
        Path file = Files.createTempFile(dir, "forged-", ".img");
        RootImageWriter.writeFile(image.squashfs, file, sized);
        return Files.readAllBytes(file);
    }

    private static String headerDigestOf(byte[] container) {
        return ContentDigest.shortForm(ContentDigest.of(Arrays.copyOf(container, ImageHeader.SIZE)));
    }

    private TetheredSettings settings() {
        FetchSettings fetch = FetchSettings.defaults()
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3))
                .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofMillis(500)))
                .withConsole(console::add)
                // No second request while the first is out, so which edge answers the header first is known.
                .withHedge(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30));
        return new TetheredSettings(4L << 20, 2L << 20, fetch);
    }
}
