package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BlockReadsTest {
    @Test
    void readsAndBytesComeFromTheFirstAndThirdFieldsOfTheStatLine() {
        // A loop device's line after a VM boot's reads (Documentation/block/stat.rst: read I/Os, merges, sectors, ...).
        var reads = BlockReads.parse("the loop device", "    1697        0    39793     9000        0        0        0"
                + "        0        0     8000     9000        0        0        0        0        0        0\n");
        assertThat(reads.requests()).isEqualTo(1697);
        assertThat(reads.bytes()).isEqualTo(39793L * 512);
        assertThat(reads.describe()).isEqualTo("1,697 reads of 20.4 MB (12 KiB each) from the loop device");
    }

    @Test
    void aLineThatIsNoStatLineIsRefusedSayingWhatItGot() {
        assertThatThrownBy(() -> BlockReads.parse("vda", "cat: /sys/block/vda/stat: No such file or directory"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("No such file");
        assertThatThrownBy(() -> BlockReads.parse("vda", "42"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'42'");
    }
}
