package dev.tether.agent;

import dev.tether.nodeapi.NodeApiJson;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The boot's steps in order, each timed. Steps run through {@link #run}, so none goes unmeasured. */
public final class BootTimeline {
    /** A step's work; any exception fails the boot with the step's name. */
    @FunctionalInterface
    public interface Action<T> {
        T run() throws Exception;
    }

    private final List<BootStep> steps = new ArrayList<>();
    private final long startNanos = System.nanoTime();

    /**
     * Runs one step and records its duration, also when it fails. A failure comes back as a
     * {@link BootFailure} whose message names the step and carries the cause's one-line message.
     */
    public <T> T run(String name, Action<T> action) throws BootFailure {
        long start = System.nanoTime();
        try {
            return action.run();
        } catch (Exception e) {
            throw failure(name, e);
        } finally {
            record(name, (System.nanoTime() - start) / 1_000_000);
        }
    }

    /**
     * Starts a step on a thread of its own and goes on; it is recorded when {@link BackgroundStep#join} waits for it.
     * Only for work that needs nothing the next steps make, and whose result the caller makes the boot's to undo.
     */
    public <T extends Closeable> BackgroundStep<T> background(String name, Action<T> action) {
        return new BackgroundStep<>(name, this, action);
    }

    void record(String name, long millis) {
        steps.add(new BootStep(name, millis));
    }

    /** A step's failure as the boot reports it: its name and the cause's one-line message. */
    static BootFailure failure(String name, Throwable cause) {
        return cause instanceof BootFailure failure ? failure
                : new BootFailure(name, name + " failed: " + oneLine(cause), cause);
    }

    public List<BootStep> steps() {
        return List.copyOf(steps);
    }

    public long totalMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** {@code {"totalMillis":N,"steps":[{"name":"…","millis":N},…]}}, what the node API will be sent. */
    public byte[] toJson() {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("totalMillis", totalMillis());
        document.put("steps", steps());
        try {
            return NodeApiJson.JSON.asBytes(document);
        } catch (IOException e) {
            throw new IllegalStateException("the boot timeline did not serialise", e);
        }
    }

    /** The cause's message on one line; a message-less exception is named by its type. */
    static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName();
        }
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
