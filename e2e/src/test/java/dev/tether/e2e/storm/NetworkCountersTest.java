package dev.tether.e2e.storm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetworkCountersTest {
    @Test
    void readsTheKernelsPairsOfNameAndValueLines(@TempDir Path dir) throws Exception {
        // As Linux 6.1 writes /proc/net/snmp, shortened.
        Path snmp = Files.writeString(dir.resolve("snmp"), """
                Ip: Forwarding DefaultTTL InReceives
                Ip: 1 64 1234
                Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens OutSegs RetransSegs
                Tcp: 1 200 120000 -1 42 100000 250
                """);
        var counters = NetworkCounters.counters(snmp);
        assertThat(counters).containsEntry("Tcp.OutSegs", 100_000L).containsEntry("Tcp.RetransSegs", 250L)
                .containsEntry("Tcp.MaxConn", -1L).containsEntry("Ip.InReceives", 1234L);
    }

    @Test
    void aStormsFiguresAreTheDifferenceAndSayTheShareRetransmitted() {
        var before = new NetworkCounters(1000, 10, 1, 0, 5);
        var after = new NetworkCounters(101_000, 1010, 31, 2, 905);
        var during = after.minus(before);
        assertThat(during).isEqualTo(new NetworkCounters(100_000, 1000, 30, 2, 900));
        assertThat(during.describe()).contains("retransmitted 1000 (1.00%)", "retransmission timeouts 30",
                "listen queue overflows 2", "dropped 900");
    }
}
