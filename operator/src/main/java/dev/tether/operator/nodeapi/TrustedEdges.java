package dev.tether.operator.nodeapi;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * The address ranges that edges connect to the node API from ({@code TETHER_NODE_API_TRUSTED_PROXIES}). A peer in
 * them must start its connection with a PROXY protocol v2 header naming the node it relays, and only such a peer may:
 * anyone else's header is refused, since whoever may name the client's address can spend any address's budget.
 * Empty means no edge sends one, and every connection is budgeted by its own peer address.
 */
final class TrustedEdges {
    private final List<IpSubnetFilterRule> ranges;

    private TrustedEdges(List<IpSubnetFilterRule> ranges) {
        this.ranges = ranges;
    }

    /** @param cidrs ranges like {@code 10.0.0.0/8}, {@code fd00::/8}, or single addresses */
    static TrustedEdges of(List<String> cidrs) {
        return new TrustedEdges(cidrs.stream().map(TrustedEdges::range).toList());
    }

    boolean trusts(SocketAddress peer) {
        return peer instanceof InetSocketAddress address && address.getAddress() != null
                && ranges.stream().anyMatch(r -> r.matches(address));
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    private static IpSubnetFilterRule range(String cidr) {
        String text = cidr.trim();
        try {
            if (!text.contains("/")) {
                text += text.contains(":") ? "/128" : "/32";
            }
            int slash = text.indexOf('/');
            int prefix = Integer.parseInt(text.substring(slash + 1));
            String address = text.substring(0, slash);
            // Only literal addresses: a host name here would be resolved once, silently, at start-up.
            if (!address.matches("[0-9a-fA-F:.]+")) {
                throw new IllegalArgumentException();
            }
            return new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("trusted edge range '" + cidr + "' is not an address range like 10.0.0.0/8 or"
                    + " fd00::/8 (TETHER_NODE_API_TRUSTED_PROXIES, the chart's nodeApi.trustedProxies)");
        }
    }
}
