package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A boot step made beside the others: timed, failing as a step in line does, and undone with the boot. */
class BackgroundStepTest {
    /** Something a step makes, which the boot takes down when it fails. */
    private static final class Made implements Closeable {
        final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public void close() {
            closed.set(true);
        }
    }

    @Test
    void theStepRunsBesideTheNextOnesAndIsRecordedWhereTheBootWaitsForIt() throws Exception {
        BootTimeline timeline = new BootTimeline();
        CountDownLatch imageMounted = new CountDownLatch(1);
        Made made = new Made();
        timeline.run("key", () -> null);
        BackgroundStep<Made> writable = timeline.background("writable", () -> {
            // Ends only once the step after it ran: the two ran at once.
            imageMounted.await();
            return made;
        });
        timeline.run("image", () -> {
            imageMounted.countDown();
            return null;
        });

        assertThat(writable.join()).isSameAs(made);
        assertThat(timeline.steps()).extracting(BootStep::name).containsExactly("key", "image", "writable");
        assertThat(made.closed).as("handed over, not taken down").isFalse();
    }

    @Test
    void aFailureNamesTheStepInOneLine() {
        BootTimeline timeline = new BootTimeline();
        BackgroundStep<Made> writable = timeline.background("writable", () -> {
            throw new IOException("cannot hot-add a zram device:\n  no such file");
        });

        assertThatThrownBy(writable::join).isInstanceOf(BootFailure.class)
                .hasMessage("writable failed: cannot hot-add a zram device:; no such file")
                .satisfies(e -> assertThat(((BootFailure) e).step()).isEqualTo("writable"));
        assertThat(timeline.steps()).extracting(BootStep::name).containsExactly("writable");
    }

    @Test
    void aBootThatFailsMeanwhileWaitsForTheStepAndTakesDownWhatItMade() throws Exception {
        BootTimeline timeline = new BootTimeline();
        CountDownLatch mkfsDone = new CountDownLatch(1);
        Made made = new Made();
        BootedRoot root = new BootedRoot();
        root.add(timeline.background("writable", () -> {
            mkfsDone.await();
            return made;
        }));

        // The boot failed in a later step while the layer was still being made: undoing it must not leave the layer.
        CompletableFuture<Void> undone = CompletableFuture.runAsync(() -> {
            try {
                root.close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(undone).as("undone before the step ended").isNotDone();
        mkfsDone.countDown();
        undone.get(30, TimeUnit.SECONDS);

        assertThat(made.closed).as("what the step made, taken down").isTrue();
    }

    @Test
    void aStepThatFailedLeavesNothingToTakeDown() throws Exception {
        BootTimeline timeline = new BootTimeline();
        BootedRoot root = new BootedRoot();
        BackgroundStep<Made> writable = root.add(timeline.background("writable", () -> {
            throw new IOException("no zram module");
        }));
        assertThatThrownBy(writable::join).isInstanceOf(BootFailure.class);

        root.close();
    }
}
