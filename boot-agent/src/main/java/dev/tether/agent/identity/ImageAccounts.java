package dev.tether.agent.identity;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** User and group ids by name, from the new root's own {@code /etc/passwd} and {@code /etc/group} (not the initramfs's). */
final class ImageAccounts {
    /** No names: owners by number and root only. */
    static final ImageAccounts NONE = new ImageAccounts(Map.of(), Map.of());

    private final Map<String, Integer> users;
    private final Map<String, Integer> groups;

    private ImageAccounts(Map<String, Integer> users, Map<String, Integer> groups) {
        this.users = users;
        this.groups = groups;
    }

    static ImageAccounts read(NoFollowRoot root) throws IOException {
        return new ImageAccounts(ids(root.readIfRegular("/etc/passwd")), ids(root.readIfRegular("/etc/group")));
    }

    /** {@code [uid, gid]} for {@code user:group} (names or numbers); root for null; empty when a name is unknown. */
    Optional<int[]> owner(String owner) {
        if (owner == null) {
            return Optional.of(new int[] {0, 0});
        }
        String[] parts = owner.split(":", 2);
        Optional<Integer> uid = id(parts[0], users);
        Optional<Integer> gid = id(parts[1], groups);
        return uid.isPresent() && gid.isPresent() ? Optional.of(new int[] {uid.get(), gid.get()}) : Optional.empty();
    }

    private static Optional<Integer> id(String nameOrNumber, Map<String, Integer> byName) {
        if (!nameOrNumber.isEmpty() && nameOrNumber.chars().allMatch(Character::isDigit)) {
            long id = Long.parseLong(nameOrNumber);
            return id <= Integer.MAX_VALUE ? Optional.of((int) id) : Optional.empty();
        }
        return Optional.ofNullable(byName.get(nameOrNumber));
    }

    /** {@code name:x:id:...} lines; anything else is skipped. */
    private static Map<String, Integer> ids(Optional<String> file) {
        Map<String, Integer> ids = new HashMap<>();
        file.ifPresent(text -> text.lines().forEach(line -> {
            String[] fields = line.split(":", -1);
            if (fields.length >= 3 && !fields[0].isEmpty() && fields[2].matches("[0-9]{1,9}")) {
                ids.putIfAbsent(fields[0], Integer.parseInt(fields[2]));
            }
        }));
        return ids;
    }
}
