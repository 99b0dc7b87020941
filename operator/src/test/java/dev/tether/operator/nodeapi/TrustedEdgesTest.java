package dev.tether.operator.nodeapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The edge ranges whose PROXY headers the node API accepts: parsed strictly, matched by address. */
class TrustedEdgesTest {

    @Test
    void rangesAndSingleAddressesOfEitherFamilyMatchTheirPeersOnly() {
        var edges = TrustedEdges.of(List.of("10.0.0.0/8", "fd00::/8", "192.0.2.7"));

        assertThat(edges.trusts(new InetSocketAddress("10.244.1.5", 40000))).isTrue();
        assertThat(edges.trusts(new InetSocketAddress("fd00::1", 40000))).isTrue();
        assertThat(edges.trusts(new InetSocketAddress("192.0.2.7", 40000))).isTrue();
        assertThat(edges.trusts(new InetSocketAddress("192.0.2.8", 40000))).isFalse();
        assertThat(edges.trusts(new InetSocketAddress("11.0.0.1", 40000))).isFalse();
        assertThat(TrustedEdges.of(List.of()).trusts(new InetSocketAddress("10.0.0.1", 1))).as("none trusted by default").isFalse();
    }

    @Test
    void aRangeThatIsNoAddressRangeIsRefusedSayingWhereItCameFrom() {
        for (String bad : List.of("edge.example/8", "10.0.0.0/", "10.0.0.0/x", "")) {
            assertThatThrownBy(() -> TrustedEdges.of(List.of(bad)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'")
                    .hasMessageContaining("nodeApi.trustedProxies");
        }
    }
}
