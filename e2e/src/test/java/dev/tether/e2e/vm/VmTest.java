package dev.tether.e2e.vm;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that boots virtual machines, with how long it takes here under emulation (image build excluded),
 * so that a run with a deadline ({@link CiDeadline}) skips it rather than overrun; one this machine cannot run
 * is skipped saying what it lacks ({@link SkipWhatThisMachineLacks}).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Test
@ExtendWith({CiDeadline.class, SkipWhatThisMachineLacks.class})
public @interface VmTest {
    /** About how many minutes the test takes on a quiet 2-core machine, rounded up. */
    int minutes();

    /** False for a test that boots no Tether image (so does not wait for its build). */
    boolean needsImage() default true;
}
