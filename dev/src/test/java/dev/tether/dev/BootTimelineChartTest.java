package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;

class BootTimelineChartTest {

    @Test
    void phasesAreBarsOneAfterTheOther() {
        var credential = new NodeCredential();
        credential.getMetadata().setName("node-001");
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().nodeName = "node-001";
        credential.setStatus(new NodeCredentialStatus());
        var boot = new NodeCredentialStatus.LastBoot();
        boot.bootedAt = "2026-12-02T00:10:00Z";
        boot.shortDigest = "aaaaaaaaaaaa";
        boot.keySource = NodeCredentialStatus.KeySource.TPM;
        boot.phaseMillis = new LinkedHashMap<>();
        boot.phaseMillis.put("tpm", 600L);
        boot.phaseMillis.put("network", 1200L);
        boot.phaseMillis.put("mount", 2400L);
        boot.phaseMillis.put("switch-root", 0L);
        credential.getStatus().lastBoot = boot;

        assertThat(BootTimelineChart.render(credential)).isEqualTo("""
                node-001  aaaaaaaaaaaa  booted 2026-12-02T00:10:00Z  4.2 s, key from tpm
                  tpm           0.6 s |#######                                         |
                  network       1.2 s |       ##############                           |
                  mount         2.4 s |                     ###########################|
                  switch-root   0.0 s |                                                |
                """);
    }

    @Test
    void aNodeThatNeverBootedSaysSo() {
        var credential = new NodeCredential();
        credential.getMetadata().setName("node-002");
        assertThat(BootTimelineChart.render(credential)).isEqualTo("node-002: no boot reported yet\n");
    }
}
