package dev.tether.e2e.storm;

import dev.tether.agent.trust.HostKey;
import dev.tether.nodeapi.HostKeys;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Host keys made before the storm with the agent's own generator, a few of each type, handed out in turn. A node makes
 * its keys on its own CPU; in the storm all nodes share this machine's two cores, where hundreds of RSA key pairs would
 * be a cost no server pays. The node API signs whatever key it is sent, so a key met twice costs it the same.
 */
final class HostKeyPool {
    private final Map<String, List<HostKey>> keys = new LinkedHashMap<>();
    private final Map<String, Long> generationMillis = new LinkedHashMap<>();

    HostKeyPool(int perType) {
        SecureRandom random = new SecureRandom();
        for (String type : HostKey.TYPES) {
            long t0 = System.nanoTime();
            List<HostKey> list = new ArrayList<>();
            for (int i = 0; i < perType; i++) {
                list.add(HostKey.generate(type, random, "root@storm-" + i));
            }
            generationMillis.put(type, (System.nanoTime() - t0) / 1_000_000 / perType);
            keys.put(type, list);
        }
    }

    /** The agent's choice of types: ed25519 always, then those the profile asks for, in the agent's order. */
    HostKeys publicKeys(List<String> asked, int node) {
        List<String> types = new ArrayList<>(List.of("ed25519"));
        if (asked != null) {
            asked.stream().map(t -> t.toLowerCase(Locale.ROOT).strip()).filter(t -> !types.contains(t)).forEach(types::add);
        }
        List<String> lines = new ArrayList<>();
        for (String type : HostKey.TYPES) {
            if (types.contains(type)) {
                List<HostKey> list = keys.get(type);
                lines.add(list.get(node % list.size()).publicKeyLine());
            }
        }
        return new HostKeys(lines);
    }

    /** Milliseconds one key of each type took to make here (what each node would spend on its own CPU). */
    Map<String, Long> generationMillis() {
        return generationMillis;
    }
}
