package dev.tether.e2e.vm;

import dev.tether.dev.MissingPrerequisite;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/** A VM test this machine cannot run (no root, a tool missing) is skipped, loudly, with what is missing. */
public final class SkipWhatThisMachineLacks implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw skipIfMissing(throwable);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw skipIfMissing(throwable);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw skipIfMissing(throwable);
    }

    private static Throwable skipIfMissing(Throwable throwable) {
        if (throwable instanceof MissingPrerequisite missing) {
            System.err.println("SKIPPED: " + missing.getMessage());
            return new TestAbortedException("SKIPPED: " + missing.getMessage(), missing);
        }
        return throwable;
    }
}
