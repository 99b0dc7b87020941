package dev.tether.operator.nodeapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.units.GoDuration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The node API's pure parts, without a server. */
class NodeApiPiecesTest {

    @Test
    void pathsAreMatchedExactlyOnTheRawPath() throws Exception {
        assertThat(NodePath.parse("/v1/namespaces/hpc/nodes/node-001/boot-config")).isEqualTo(new NodePath("hpc", "node-001", "boot-config"));
        for (String bad : new String[] {"/v1/namespaces/hpc/nodes/node-001", "/v2/namespaces/hpc/nodes/n/boot-config",
                "/v1/namespaces/hpc/nodes/n/boot-config/", "//v1/namespaces/hpc/nodes/n/boot-config", "/v1/namespaces/hpc/nodes/n/BOOT"}) {
            assertThatThrownBy(() -> NodePath.parse(bad)).as(bad).isInstanceOf(Refusal.class)
                    .satisfies(e -> assertThat(((Refusal) e).status()).isEqualTo(404));
        }
        for (String bad : new String[] {"/v1/namespaces/hpc/nodes/..%2F/boot-config", "/v1/namespaces/HPC/nodes/n/boot-config",
                "/v1/namespaces/hpc/nodes/" + "n".repeat(64) + "/boot-config", "/v1/namespaces/hpc/nodes//boot-config"}) {
            assertThatThrownBy(() -> NodePath.parse(bad)).as(bad).isInstanceOf(Refusal.class)
                    .satisfies(e -> assertThat(((Refusal) e).code()).isEqualTo("BadPath"));
        }
    }

    @Test
    void durationsAsTheProfileWritesThem() {
        assertThat(GoDuration.parse("720h")).isEqualTo(Duration.ofHours(720));
        assertThat(GoDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDuration.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> GoDuration.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GoDuration.parse("3d")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theCertificateCarriesEveryNameOfTheServiceTheEdgesForwardTo() {
        assertThat(NodeApiSettings.serviceNames("hpc-node-api.tether-system.svc:8443", "ignored")).containsExactly(
                "hpc-node-api", "hpc-node-api.tether-system", "hpc-node-api.tether-system.svc", "hpc-node-api.tether-system.svc.cluster.local");
        assertThat(NodeApiSettings.serviceNames("tether-node-api:8443", "ops")).contains("tether-node-api.ops.svc");
    }

    @Test
    void aBudgetIsSpentByRefusalsAndRefillsWithinItsWindow() {
        var clock = new MutableClock();
        var limiter = new FailureLimiter(2, 100, Duration.ofMinutes(10), clock);

        assertThat(limiter.retryAfterSeconds("hpc/n1", "10.0.0.1")).isZero();
        assertThat(limiter.refused("hpc/n1", "10.0.0.1")).isFalse();
        assertThat(limiter.refused("hpc/n1", "10.0.0.1")).as("the last of the budget").isTrue();
        long wait = limiter.retryAfterSeconds("hpc/n1", "10.0.0.1");
        assertThat(wait).isEqualTo(300);
        assertThat(limiter.retryAfterSeconds("hpc/n2", "10.0.0.1")).as("another node from the same edge").isZero();

        clock.now = clock.now.plusSeconds(wait);
        assertThat(limiter.retryAfterSeconds("hpc/n1", "10.0.0.1")).isZero();
    }

    @Test
    void bootReportSizesAreReadAsBinaryUnits() {
        assertThat(BootConfigurations.bytes("8Gi")).isEqualTo(8L << 30);
        assertThat(BootConfigurations.bytes("512Mi")).isEqualTo(512L << 20);
        assertThat(BootConfigurations.bytes("1073741824")).isEqualTo(1L << 30);
    }

    private static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-11-24T21:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
