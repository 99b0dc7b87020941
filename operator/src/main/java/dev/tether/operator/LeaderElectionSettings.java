package dev.tether.operator;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Leader election among operator replicas: a Lease in the operator's namespace. Only the holder reconciles and
 * serves the node API (which issues keys and writes statuses); the others keep their informer caches warm and
 * report not ready, so the node API Service routes to the leader alone.
 *
 * @param leaseName          the Lease ({@code TETHER_LEADER_ELECTION_LEASE}); unset: no leader election (local runs, tests)
 * @param identity           this replica's name in the Lease: the pod's name ({@code TETHER_POD_NAME}, else {@code HOSTNAME})
 * @param leaseDuration      how long a leader that stopped renewing keeps the Lease ({@code TETHER_LEADER_ELECTION_LEASE_SECONDS})
 * @param renewDeadline      how long a leader keeps trying to renew before it gives up leading ({@code TETHER_LEADER_ELECTION_RENEW_SECONDS})
 * @param retryPeriod        how often followers try to take the Lease and the leader renews it ({@code TETHER_LEADER_ELECTION_RETRY_SECONDS})
 * @param exitOnStopLeading  a replica that lost the Lease exits (and restarts as a follower), so no reconciliation or node API
 *                           write of a former leader can overlap the new leader's; only tests keep the process
 */
public record LeaderElectionSettings(String leaseName, String identity, Duration leaseDuration, Duration renewDeadline,
                                     Duration retryPeriod, boolean exitOnStopLeading) {

    static Optional<LeaderElectionSettings> fromEnvironment(Map<String, String> env) {
        String lease = env.get("TETHER_LEADER_ELECTION_LEASE");
        if (lease == null || lease.isBlank()) {
            return Optional.empty();
        }
        String identity = env.getOrDefault("TETHER_POD_NAME", env.get("HOSTNAME"));
        return Optional.of(new LeaderElectionSettings(lease.trim(), identity,
                seconds(env, "TETHER_LEADER_ELECTION_LEASE_SECONDS", 15),
                seconds(env, "TETHER_LEADER_ELECTION_RENEW_SECONDS", 10),
                seconds(env, "TETHER_LEADER_ELECTION_RETRY_SECONDS", 2), true));
    }

    private static Duration seconds(Map<String, String> env, String name, long fallback) {
        return Duration.ofSeconds(Long.parseLong(env.getOrDefault(name, Long.toString(fallback))));
    }
}
