package dev.tether.operator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NamesTest {
    @Test
    void derivedNamesStayWithinKubernetesLimitsAndStable() {
        String longImage = "a-very-long-image-name-for-the-genomics-cluster-nodes-in-building-seven";
        String job = Names.buildJob(longImage, 12);
        assertThat(job).hasSizeLessThanOrEqualTo(63).endsWith("-build-g12").matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
        assertThat(Names.buildJob(longImage, 12)).isEqualTo(job);
        assertThat(Names.buildJob(longImage + "x", 12)).isNotEqualTo(job);
        assertThat(Names.buildJob("bookworm", 1)).isEqualTo("bookworm-build-g1");
    }

    @Test
    void sizesAndDigestsReadLikeKubectl() {
        assertThat(Names.humanSize(512)).isEqualTo("512B");
        assertThat(Names.humanSize(1536)).isEqualTo("1.5Ki");
        assertThat(Names.humanSize(853_123_072L)).isEqualTo("813.6Mi");
        assertThat(Names.shortDigest("sha256:" + "0123456789abcdef".repeat(4))).isEqualTo("0123456789ab");
        assertThat(Names.shortDigest("sha256:0123")).isEqualTo("sha256:0123");
        assertThat(Names.shortDigest(null)).isNull();
    }
}
