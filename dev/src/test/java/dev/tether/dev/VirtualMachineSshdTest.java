package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.dev.VirtualMachine.SshResult;
import java.io.IOException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The guest's sshd start, put on the host's clock from its monotonic time and its uptime read together. */
class VirtualMachineSshdTest {
    private static final Instant ANSWERED = Instant.parse("2026-12-07T05:00:00Z");

    @Test
    void sshdActiveIsTheAnswersTimeLessTheUptimeSinceSshdStarted() throws IOException {
        // Active 41.250 s after the kernel started; the guest's uptime 44.75 s when it answered: 3.5 s earlier.
        var answer = new SshResult(0, "41250000\n44.75\n");
        assertThat(VirtualMachine.sshdActiveAt(answer, ANSWERED)).isEqualTo(ANSWERED.minusMillis(3500));
    }

    @Test
    void anAnswerWithoutBothTimesIsRefusedSayingWhatCame() {
        // "0": systemd's answer for a unit that never became active; a failed ssh; a missing uptime.
        for (var bad : new SshResult[] {new SshResult(0, "0\n12.00\n"), new SshResult(255, "Connection refused"),
                new SshResult(0, "41250000\n"), new SshResult(0, "41250000\n12,5\n")}) {
            assertThatThrownBy(() -> VirtualMachine.sshdActiveAt(bad, ANSWERED)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith("no time of sshd's start from the guest: ");
        }
    }
}
