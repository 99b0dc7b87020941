package dev.tether.operator.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.DisklessImageStatus.ImageVersion;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pure pieces of the build flow, without a cluster. */
class BuildPiecesTest {
    static final String D = "sha256:" + "1".repeat(64);

    @Test
    void theBuilderResultIsTheLastJsonLineOfTheTerminationMessage() {
        var result = BuildResult.parse("progress 99%\n{\"digest\":\"" + D + "\",\"kernelVersion\":\"6.1\",\"rootImageBytes\":10,"
                + "\"kernelDigest\":\"" + D + "\",\"initramfsDigest\":\"" + D + "\",\"rootImageDigest\":\"" + D + "\",\"future\":1}\n");
        assertThat(result).isPresent();
        assertThat(result.get().kernelVersion()).isEqualTo("6.1");
        assertThat(result.get().problem()).isEmpty();
    }

    @Test
    void anIncompleteResultIsAProblemNotAPublication() {
        assertThat(BuildResult.parse("{\"digest\":\"sha256:short\"}").orElseThrow().problem()).contains("the builder reported no valid digest");
        assertThat(BuildResult.parse("{\"error\":\"debootstrap failed\"}").orElseThrow().problem()).contains("debootstrap failed");
        assertThat(BuildResult.parse("Killed")).isEmpty();
        assertThat(BuildResult.parse("{not json}")).isEmpty();
    }

    @Test
    void anOciSourceDigestTravelsInTheResultAndMustBeADigest() {
        String complete = "{\"digest\":\"" + D + "\",\"kernelVersion\":\"6.1\",\"rootImageBytes\":10,\"kernelDigest\":\"" + D
                + "\",\"initramfsDigest\":\"" + D + "\",\"rootImageDigest\":\"" + D + "\"";
        var result = BuildResult.parse(complete + ",\"sourceDigest\":\"" + D + "\"}").orElseThrow();
        assertThat(result.sourceDigest()).isEqualTo(D);
        assertThat(result.problem()).isEmpty();
        assertThat(BuildResult.parse(complete + "}").orElseThrow().sourceDigest()).isNull();
        assertThat(BuildResult.parse(complete + ",\"sourceDigest\":\"latest\"}").orElseThrow().problem())
                .contains("the builder reported a malformed sourceDigest");
    }

    @Test
    void timeoutsReadTheSchemasDurations() {
        assertThat(BuildJob.parseDuration("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(BuildJob.parseDuration("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(BuildJob.parseDuration("45s")).isEqualTo(Duration.ofSeconds(45));
        assertThat(BuildJob.parseDuration(null)).isEqualTo(Duration.ofHours(2));
    }

    @Test
    void anUploadGrantLastsTheBuildsTimeoutButNeverMoreThanADay() {
        var image = DisklessImageReconcilerTest.newImage("bookworm", List.of());
        Instant now = Instant.parse("2026-12-01T00:00:00Z");
        assertThat(BuildJob.uploadGrantExpiry(image, now)).isEqualTo(now.plus(Duration.ofHours(2)).plus(Duration.ofMinutes(5)));

        image.getSpec().builder = new DisklessImageSpec.Builder();
        image.getSpec().builder.timeout = "8760h";
        assertThat(BuildJob.uploadGrantExpiry(image, now)).as("the author chooses the timeout, not the grant's life")
                .isEqualTo(now.plus(Duration.ofHours(24)).plus(Duration.ofMinutes(5)));
    }

    @Test
    void versionsBeyondTheRetainedCountGoUnlessSomethingUsesThem() {
        var versions = List.of(version("a"), version("b"), version("c"), version("d"), version("e"));
        assertThat(VersionRetention.removable(versions, 2, Set.of()))
                .extracting(v -> v.digest).containsExactly("c", "d", "e");
        assertThat(VersionRetention.removable(versions, 2, Set.of("d")))
                .extracting(v -> v.digest).containsExactly("c", "e");
        assertThat(VersionRetention.removable(versions, 5, Set.of())).isEmpty();
    }

    private static ImageVersion version(String digest) {
        var version = new ImageVersion();
        version.digest = digest;
        return version;
    }

    /** The Job and its pod are watched apart: the Job's end may be seen first, and its pod says how it ended. */
    @Test
    void aJobSeenToEndBeforeItsPodWaitsForThePodAMinuteAtMost() {
        Instant ended = Instant.parse("2026-12-01T10:00:00Z");
        var job = new io.fabric8.kubernetes.api.model.batch.v1.JobBuilder().withNewStatus().addNewCondition()
                .withType("Complete").withStatus("True").withLastTransitionTime(ended.toString()).endCondition()
                .endStatus().build();
        var pod = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("b-x1").endMetadata()
                .withNewStatus().addNewContainerStatus().withName(BuildJob.CONTAINER).withNewState().withNewTerminated()
                .withExitCode(0).withMessage("{\"digest\":\"" + D + "\",\"kernelVersion\":\"6.1\",\"rootImageBytes\":10,"
                        + "\"kernelDigest\":\"" + D + "\",\"initramfsDigest\":\"" + D + "\",\"rootImageDigest\":\"" + D + "\"}")
                .endTerminated().endState().endContainerStatus().endStatus().build();

        assertThat(BuildOutcome.of(job, List.of(), ended.plusSeconds(10))).isEqualTo(new BuildOutcome.AwaitingPod(Duration.ofSeconds(50)));
        assertThat(BuildOutcome.of(job, List.of(pod), ended.plusSeconds(10))).isInstanceOf(BuildOutcome.Succeeded.class);
        assertThat(BuildOutcome.of(job, List.of(), ended.plus(BuildOutcome.POD_GRACE))).as("a pod that never comes")
                .isEqualTo(new BuildOutcome.Failed("the builder finished but reported no result"));
    }
}
