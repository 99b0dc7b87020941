package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.root.ZramSize;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KernelCommandLineTest {
    private static final String IMAGE = "sha256:" + "ab".repeat(32);
    private static final String ROOT_IMAGE = "sha256:" + "cd".repeat(32);

    @Test
    void readsEveryParameterOfTheContract() throws Exception {
        KernelCommandLine cmdline = KernelCommandLine.parse("BOOT_IMAGE=/vmlinuz console=ttyS0 boot=tether quiet"
                + " tether.node=node-01 tether.profile=compute tether.method=untethered"
                + " tether.edges=http://10.0.0.1:8080,https://edge-2.tether.svc:8443/prefix/"
                + " tether.image=" + IMAGE + " tether.rootimage=" + ROOT_IMAGE
                + " tether.zram=8Gi tether.zram_alg=zstd tether.console=console tether.debug\n");
        assertThat(cmdline.node()).contains("node-01");
        assertThat(cmdline.profile()).contains("compute");
        assertThat(cmdline.method()).contains(ImageMethod.UNTETHERED);
        assertThat(cmdline.edges()).containsExactly(URI.create("http://10.0.0.1:8080"),
                URI.create("https://edge-2.tether.svc:8443/prefix"));
        assertThat(cmdline.image()).contains(IMAGE);
        assertThat(cmdline.rootImage()).contains(ROOT_IMAGE);
        assertThat(cmdline.zram()).contains(new ZramSize.Bytes(8L << 30));
        assertThat(cmdline.zramAlgorithm()).contains("zstd");
        assertThat(cmdline.console()).contains(ConsoleMode.CONSOLE);
        assertThat(cmdline.debug()).isTrue();
        assertThat(cmdline.unknownKeys()).isEmpty();
    }

    @Test
    void absentParametersAreEmptyAndUnknownOnesAreKeptAsWarnings() throws Exception {
        KernelCommandLine cmdline = KernelCommandLine.parse("root=/dev/sda1 tether.future=1 tether.debug=0");
        assertThat(cmdline.node()).isEmpty();
        assertThat(cmdline.method()).isEmpty();
        assertThat(cmdline.edges()).isEmpty();
        assertThat(cmdline.zram()).isEmpty();
        assertThat(cmdline.debug()).isFalse();
        assertThat(cmdline.unknownKeys()).containsExactly("tether.future");
    }

    @Test
    void quotedValuesAndRepeatedKeysBehaveAsInTheKernel() throws Exception {
        assertThat(KernelCommandLine.parameters("a=\"x y\" tether.node=first tether.node=second"))
                .containsEntry("a", "x y").containsEntry("tether.node", "second");
        assertThat(KernelCommandLine.parse("tether.zram=0.25 tether.zram=\"0.75\"").zram())
                .contains(new ZramSize.Fraction(0.75));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "tether.method=sideways | tether.method: 'sideways' is not a method; use tethered or untethered",
        "tether.method= | tether.method has no value; write tether.method=<value> or leave it out",
        "tether.image=sha256:abc | tether.image=sha256:abc is not a digest; expected sha256: and 64 lowercase hex digits",
        "tether.image=md5:0123 | tether.image=md5:0123 is not a digest",
        "tether.rootimage=SHA256:AB | tether.rootimage=SHA256:AB is not a digest",
        "tether.edges=ftp://edge | tether.edges: 'ftp://edge' is not an http:// or https:// URL with a host",
        "tether.edges=http://a,,http://b | tether.edges has an empty URL; separate edge URLs with single commas",
        "tether.edges=http://a/?x=1 | must be a base URL without user, query or fragment",
        "tether.zram=lots | tether.zram=lots: 'lots' is neither a fraction of RAM (0.5) nor a size (8Gi, 512Mi)",
        "tether.zram=0 | tether.zram=0: a zram fraction of RAM must be above 0",
        // Without a unit and above the largest fraction, 3.5 would be bytes: not a whole number of them.
        "tether.zram=3.5 | tether.zram=3.5: '3.5' is not a whole number of bytes or too large",
        "tether.zram_alg=ZSTD! | tether.zram_alg=ZSTD! is not an algorithm name",
        "tether.console=serial | tether.console=serial is not known; use console",
        "tether.node=Node_1 | tether.node=Node_1 is not a Kubernetes object name",
    })
    void aBadValueIsReportedWithWhatIsExpected(String cmdline, String expected) {
        String message = failure(cmdline);
        assertThat(message).startsWith("kernel command line: ").contains(expected).doesNotContain("\n");
    }

    @Test
    void anUnknownMachineIsToldToRegisterWithTheMacItBootedWith() throws Exception {
        KernelCommandLine cmdline = KernelCommandLine.parse("tether.discover=0C:C4:7A:00:00:01 tether.profile=compute");
        assertThat(cmdline.discover()).contains("0c:c4:7a:00:00:01");
        assertThat(cmdline.unknownKeys()).isEmpty();
        assertThat(KernelCommandLine.parse("tether.node=n1").discover()).isEmpty();
        assertThat(failure("tether.discover=1")).contains("tether.discover=1 is not the MAC address the machine booted with");
    }

    @Test
    void everyProblemIsReportedInOneLine() {
        String message = failure("tether.method=fast tether.image=latest tether.edges=edge1");
        assertThat(message).contains("tether.method: 'fast'").contains("tether.image=latest")
                .contains("tether.edges: 'edge1'").doesNotContain("\n");
    }

    @Test
    void fractionsAndQuantitiesOfZram() {
        long ram = 16L << 30;
        assertThat(ZramSize.parse("0.5").bytes(ram)).isEqualTo(8L << 30);
        assertThat(ZramSize.parse("1").bytes(ram)).isEqualTo(ram);
        assertThat(ZramSize.parse("512Mi").bytes(ram)).isEqualTo(512L << 20);
        assertThat(ZramSize.parse("1.5Gi").bytes(ram)).isEqualTo(3L << 29);
        assertThat(ZramSize.parse("20G").bytes(ram)).isEqualTo(20_000_000_000L);
        assertThat(ZramSize.parse("1073741824").bytes(ram)).isEqualTo(1L << 30);
        assertThatThrownBy(() -> ZramSize.parse("8GB")).hasMessageContaining("neither a fraction");
    }

    @Test
    void theCommandLineWinsOverTheAddonProfile() throws Exception {
        AddonProfile addon = new AddonProfile("tether", "from-addon", "untethered", IMAGE,
                List.of("http://addon-edge:8080"), List.of("https://api:8443"), null);
        KernelCommandLine cmdline = KernelCommandLine.parse("tether.method=tethered tether.edges=http://cmdline-edge");
        BootConfig config = BootConfig.merge(cmdline, Optional.of(addon), AddonProfile.DEFAULT_PATH);
        assertThat(config.method()).isEqualTo(ImageMethod.TETHERED);
        assertThat(config.edges()).containsExactly(URI.create("http://cmdline-edge"));
        assertThat(config.image()).contains(IMAGE);
        assertThat(config.profile()).contains("from-addon");
        assertThat(config.nodeApi()).containsExactly(URI.create("https://api:8443"));
    }

    @Test
    void withoutEdgesOrImageTheBootSaysWhereToLook() throws Exception {
        KernelCommandLine noEdges = KernelCommandLine.parse("tether.image=" + IMAGE);
        assertThatThrownBy(() -> BootConfig.merge(noEdges, Optional.empty(), AddonProfile.DEFAULT_PATH))
                .hasMessageContaining("no edges to boot from").hasMessageContaining("no addon profile at /etc/tether/profile.json");
        KernelCommandLine noImage = KernelCommandLine.parse("tether.edges=http://edge");
        assertThatThrownBy(() -> BootConfig.merge(noImage, Optional.empty(), AddonProfile.DEFAULT_PATH))
                .hasMessageContaining("no image to boot: give tether.image=");
        BootConfig defaults = BootConfig.merge(KernelCommandLine.parse("tether.edges=http://edge tether.image=" + IMAGE),
                Optional.empty(), AddonProfile.DEFAULT_PATH);
        assertThat(defaults.method()).isEqualTo(ImageMethod.TETHERED);
        assertThat(defaults.zram().size()).isEqualTo(new ZramSize.Fraction(0.5));
        assertThat(defaults.zram().algorithm()).isEmpty();
    }

    private static String failure(String cmdline) {
        try {
            KernelCommandLine.parse(cmdline);
        } catch (BootConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + cmdline);
    }
}
