package dev.tether.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.BootStep;
import dev.tether.nodeapi.BootReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The boot report as the node API receives it: timings in boot order and, when known, the image fetch counts. */
class BootReportTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @TempDir
    Path temp;

    @Test
    void theReportCarriesTheTimingsAndTheFetchCounts() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            NodeTrust trust = trust(fixture);

            trust.report(List.of(new BootStep("apikey", 40), new BootStep("image", 5200)), DIGEST, "untethered",
                    new BootReport.Fetch(412, 9, 3, 1, 1_717_986_918, 1_503_238_553L), null);

            assertThat(fixture.api.reports).singleElement().satisfies(report -> {
                assertThat(report.digest()).isEqualTo(DIGEST);
                assertThat(report.keySource()).isEqualTo("network");
                assertThat(report.phaseMillis()).containsExactly(Map.entry("apikey", 40L),
                        Map.entry("image", 5200L));
                assertThat(report.fetch()).isEqualTo(new BootReport.Fetch(412, 9, 3, 1, 1_717_986_918, 1_503_238_553L));
            });
        }
    }

    @Test
    void withoutFetchCountsTheFieldIsLeftOut() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            NodeTrust trust = trust(fixture);

            trust.report(List.of(new BootStep("image", 10)), DIGEST, "tethered", null, null);

            assertThat(fixture.api.reports).singleElement().satisfies(report -> assertThat(report.fetch()).isNull());
            assertThat(fixture.api.reportBodies).singleElement().asString().doesNotContain("fetch")
                    .doesNotContain("agentMemory");
        }
    }

    @Test
    void aTetheredAgentReportsWhatItCostsTheNode() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            NodeTrust trust = trust(fixture);
            BootReport.AgentMemory memory = new BootReport.AgentMemory(60L << 20, 40L << 20, 12L << 20, 32L << 20, 48L << 20);

            trust.report(List.of(new BootStep("image", 10)), DIGEST, "tethered", null, memory);

            assertThat(fixture.api.reports).singleElement().satisfies(report -> {
                assertThat(report.agentMemory()).isEqualTo(memory);
                assertThat(report.agentMemory().totalBytes()).isEqualTo(100L << 20);
            });
            assertThat(fixture.api.reportBodies).singleElement().asString()
                    .contains("\"agentMemory\":{\"anonymousBytes\":62914560,\"fileBytes\":41943040,\"chunkCacheBytes\":12582912,"
                            + "\"heapMaxBytes\":33554432,\"directMaxBytes\":50331648}");
        }
    }

    /** A node without a TPM that has just been issued its key over the network. */
    private static NodeTrust trust(TrustFixture fixture) throws Exception {
        fixture.credential("once", true);
        return NodeTrust.start(fixture.client(1), fixture.ca(), TpmPolicy.PREFERRED, TpmAccess.NONE, TrustFixture::hardware,
                fixture.console);
    }
}
