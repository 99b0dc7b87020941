package dev.tether.e2e.vm;

import dev.tether.dev.ImageCache;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Skips a {@link VmTest} that would not finish before the run's deadline. CI has 90 minutes for everything
 * and the VM suite alone takes longer than that here, so {@code .ci/run} sets {@value #VARIABLE} (seconds
 * since the epoch) and runs the VM tests that fit; without it (a developer's run) every test runs.
 *
 * <p>A test that needs the image also pays for building it while this machine has no build of it.
 */
public final class CiDeadline implements ExecutionCondition {
    public static final String VARIABLE = "TETHER_CI_DEADLINE";
    /** An image build on a fresh machine (debootstrap, packages, squashfs, initramfs), rounded up. */
    static final Duration IMAGE_BUILD = Duration.ofMinutes(20);
    private static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<VmTest> test = context.getElement().flatMap(e -> AnnotationSupport.findAnnotation(e, VmTest.class));
        Optional<Instant> deadline = deadline(System.getenv(VARIABLE));
        if (test.isEmpty() || deadline.isEmpty()) {
            return ConditionEvaluationResult.enabled("no deadline");
        }
        boolean imageBuilt;
        try {
            imageBuilt = ImageCache.isBuilt(PROJECT);
        } catch (IOException e) {
            imageBuilt = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            imageBuilt = false;
        }
        return decide(test.get(), deadline.get(), Instant.now(), imageBuilt);
    }

    static ConditionEvaluationResult decide(VmTest test, Instant deadline, Instant now, boolean imageBuilt) {
        Duration needed = Duration.ofMinutes(test.minutes()).plus(imageBuilt || !test.needsImage() ? Duration.ZERO : IMAGE_BUILD);
        Duration left = Duration.between(now, deadline);
        if (left.compareTo(needed) < 0) {
            return ConditionEvaluationResult.disabled("SKIPPED: the run's deadline leaves " + Math.max(0, left.toMinutes())
                    + " min and this VM test needs about " + needed.toMinutes() + " min (" + VARIABLE + ")");
        }
        return ConditionEvaluationResult.enabled(left.toMinutes() + " min left, about " + needed.toMinutes() + " needed");
    }

    static Optional<Instant> deadline(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.ofEpochSecond(Long.parseLong(value.trim())));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(VARIABLE + " must be seconds since the epoch, not '" + value + "'", e);
        }
    }
}
