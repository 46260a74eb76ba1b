package dev.collab.local;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class that runs the packaged app in local mode with the real opencode ({@link LocalModeRun}). When a
 * requirement is missing the class is disabled, which the test runner reports as skipped with the reason (an
 * assumption in @BeforeAll would show as "Tests run: 0").
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RealLocalModeCondition.class)
@interface RealLocalMode {
    /** Also needs the control plane binaries (tools/control-plane/build.sh) and bubblewrap. */
    boolean controlPlane() default false;
}
