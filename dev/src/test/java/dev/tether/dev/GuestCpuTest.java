package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GuestCpuTest {
    @Test
    void readsTheStatLineInClockTicks() {
        var cpu = GuestCpu.parse("1\ncpu 1500 20 700 300 40 5 3 0 0 0\n27.31\n");
        assertThat(cpu.cpus()).isEqualTo(1);
        assertThat(cpu.uptimeSeconds()).isEqualTo(27.31);
        assertThat(cpu.busySeconds()).isCloseTo(22.28, within(1e-9)); // user, nice, system, irq, softirq, steal
        assertThat(cpu.idleSeconds()).isCloseTo(3.4, within(1e-9)); // idle and iowait
        assertThat(cpu.ioWaitSeconds()).isCloseTo(0.4, within(1e-9));
        assertThat(cpu.describe()).isEqualTo("busy 22.3 s, idle 3.4 s (waiting for I/O 0.4 s) of one CPU's 27.3 s since"
                + " the kernel started");
    }

    /**
     * The command as a guest runs it after a login's command, here on this machine: the two outputs come apart, and
     * the figures add up to the CPUs' time since boot.
     */
    @Test
    void theCommandReadsThisMachine() throws Exception {
        var shell = new ProcessBuilder("sh", "-c", GuestCpu.after("uname -s")).redirectErrorStream(true).start();
        String output = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(shell.waitFor()).as(output).isZero();
        assertThat(GuestCpu.commandOutput(output)).isEqualTo("Linux\n");
        var cpu = GuestCpu.fromOutput(output);
        assertThat(cpu.cpus()).isPositive();
        var tick = new ProcessBuilder("getconf", "CLK_TCK").start();
        assertThat(new String(tick.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip())
                .as("the clock tick /proc/stat counts in").isEqualTo("100");
        assertThat(tick.waitFor()).isZero();
        // The stat line counts the CPUs' ticks since boot, as the uptime does; CPUs taken offline or ticks not yet
        // counted make them differ a little, never by much.
        assertThat(cpu.busySeconds() + cpu.idleSeconds()).isCloseTo(cpu.uptimeSeconds() * cpu.cpus(),
                within(cpu.uptimeSeconds() * cpu.cpus() * 0.1 + 1));
    }

    @Test
    void anOutputWithoutTheAccountIsRefused() {
        assertThatThrownBy(() -> GuestCpu.fromOutput("overlay\n")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no CPU account after the command's output: 'overlay'");
    }

    @Test
    void anythingElseIsRefusedSayingWhatItGot() {
        for (String bad : new String[] {"", "1\nintr 5\n3.0", "1\ncpu 1 2\n3.0", "x\ncpu 1 2 3 4 5 6 7 8\n3.0",
                "1\ncpu 1 2 3 4 5 6 7 8\n3.0\n4.0"}) {
            assertThatThrownBy(() -> GuestCpu.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not the output of GuestCpu.COMMAND: '");
        }
    }
}
