package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** TETHER_VM_CPUS: unset, one; a count from 1 to 64 taken; anything else refused by name, not run with a guess. */
class VirtualMachineCpusTest {
    @Test
    void oneUnlessTheEnvironmentSaysOtherwise() {
        assertThat(VirtualMachine.cpusFrom(null)).isEqualTo(1);
        assertThat(VirtualMachine.cpusFrom(" ")).isEqualTo(1);
        assertThat(VirtualMachine.cpusFrom("2")).isEqualTo(2);
        assertThat(VirtualMachine.cpusFrom(" 4 ")).isEqualTo(4);
    }

    @Test
    void aSettingThatIsNotACountIsRefused() {
        for (String bad : new String[] {"0", "65", "-1", "two", "2x"}) {
            assertThatThrownBy(() -> VirtualMachine.cpusFrom(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("TETHER_VM_CPUS=" + bad + " is not a number of CPUs from 1 to 64");
        }
    }
}
