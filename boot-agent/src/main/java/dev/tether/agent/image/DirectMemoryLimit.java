package dev.tether.agent.image;

import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The JVM's bound on direct memory, where the chunk cache and the chunks in flight live, as the launcher (or a
 * profile's {@code tether.jvm=}) set it with {@code -XX:MaxDirectMemorySize}. The JDK offers no public way to
 * read it back, so it is read from the JVM's own arguments, the last one winning as in the JVM.
 */
final class DirectMemoryLimit {
    private static final String OPTION = "-XX:MaxDirectMemorySize=";

    private DirectMemoryLimit() {
    }

    /** The bound given to this JVM, or empty when it has none of its own (then the JVM uses the heap's). */
    static OptionalLong ofThisJvm() {
        return parse(ProcessHandle.current().info().arguments().map(List::of).orElse(List.of()));
    }

    static OptionalLong parse(List<String> jvmArguments) {
        OptionalLong found = OptionalLong.empty();
        for (String argument : jvmArguments) {
            if (argument.startsWith(OPTION)) {
                found = size(argument.substring(OPTION.length()));
            }
            if (argument.equals("-jar") || argument.equals("-cp") || argument.equals("-classpath")) {
                break;
            }
        }
        return found;
    }

    /** HotSpot's size syntax: digits with an optional k, m, g or t (either case). */
    static OptionalLong size(String text) {
        String value = text.strip().toLowerCase(Locale.ROOT);
        if (value.isEmpty()) {
            return OptionalLong.empty();
        }
        int shift = switch (value.charAt(value.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? value : value.substring(0, value.length() - 1);
        try {
            long number = Long.parseLong(digits);
            return number < 0 || number > Long.MAX_VALUE >> shift ? OptionalLong.empty() : OptionalLong.of(number << shift);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
