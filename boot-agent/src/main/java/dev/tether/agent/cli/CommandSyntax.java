package dev.tether.agent.cli;

import java.io.PrintStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One command of the agent's command line: its options, its one optional positional parameter, its help, and the
 * parse of its arguments ({@code --name value}, {@code --name=value}, flags, {@code -h}/{@code --help},
 * {@code -V}/{@code --version}).
 *
 * <p>Written here, not taken from picocli as imgutil does: the agent's callers are its launcher, the initramfs hook
 * and two systemd units, and picocli was a third of the agent's start. picocli's class files are Java 5's, which the
 * JVM's AOT cache cannot hold (the bundle's training skipped 138 of its classes: "Old class has been linked"), so
 * every start parsed and verified them again, and built each command's model from annotations by reflection. Without
 * it the agent reaches its first boot step 1.33 s after the JVM starts instead of 1.97 (qemu-x86_64, the VM suite's
 * CPU flags, 2026-12-05; in the suite's emulated machine the JVM runs some three times slower still), with 0.11 s of
 * CPU natively instead of 0.25, and the bundle is 385 KB smaller. The messages follow picocli's, so a usage error
 * reads the same in both programs.
 */
final class CommandSyntax {
    /** What the arguments ask for. */
    enum Request { RUN, HELP, VERSION }

    /** A usage error: one line, said with the command's name ("see 'tether-agent boot --help'"). */
    static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }

    /** Takes an option's or the positional parameter's value; a bad value is a usage error. */
    @FunctionalInterface
    interface Setter {
        void set(String value) throws UsageError;
    }

    private record Option(String name, String label, String description, boolean hidden, Setter setter) {
        boolean isFlag() {
            return label == null;
        }

        String synopsis() {
            return isFlag() ? name : name + "=" + label;
        }
    }

    private final String name;
    private final List<String> description;
    private final List<String> footer;
    private final List<Option> options = new ArrayList<>();
    private Option positional;
    private final List<String[]> subcommands = new ArrayList<>();

    /**
     * @param name        the command as typed, e.g. {@code tether-agent boot}
     * @param description the help's lines under the usage line
     * @param footer      the help's last lines (its exit statuses)
     */
    CommandSyntax(String name, List<String> description, List<String> footer) {
        this.name = name;
        this.description = description;
        this.footer = footer;
    }

    String name() {
        return name;
    }

    CommandSyntax option(String option, String label, String text, Setter setter) {
        options.add(new Option(option, label, text, false, setter));
        return this;
    }

    /** An option the help does not list: one for the launcher, not for people. */
    CommandSyntax hiddenOption(String option, String label, String text, Setter setter) {
        options.add(new Option(option, label, text, true, setter));
        return this;
    }

    CommandSyntax flag(String option, String text, Runnable setter) {
        options.add(new Option(option, null, text, false, value -> setter.run()));
        return this;
    }

    /** The one positional parameter, which may be left out. */
    CommandSyntax positional(String label, String text, Setter setter) {
        positional = new Option(null, label, text, false, setter);
        return this;
    }

    /** A subcommand the help lists; the caller dispatches to it. */
    CommandSyntax subcommand(String subcommand, String summary) {
        subcommands.add(new String[] {subcommand, summary});
        return this;
    }

    /** Reads {@code args} from {@code from} on, setting what they give. */
    Request parse(String[] args, int from) throws UsageError {
        boolean positionalTaken = false;
        for (int i = from; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-h") || arg.equals("--help")) {
                return Request.HELP;
            }
            if (arg.equals("-V") || arg.equals("--version")) {
                return Request.VERSION;
            }
            if (arg.startsWith("-") && arg.length() > 1) {
                int equals = arg.indexOf('=');
                String optionName = equals < 0 ? arg : arg.substring(0, equals);
                Option option = option(optionName);
                if (option == null) {
                    throw new UsageError("Unknown option: '" + arg + "'");
                }
                if (option.isFlag()) {
                    if (equals >= 0) {
                        throw new UsageError("Option '" + optionName + "' takes no value: '" + arg + "'");
                    }
                    option.setter().set(null);
                } else if (equals >= 0) {
                    option.setter().set(arg.substring(equals + 1));
                } else if (i + 1 < args.length) {
                    option.setter().set(args[++i]);
                } else {
                    throw new UsageError("Missing required parameter for option '" + optionName + "' ("
                            + option.label() + ")");
                }
            } else if (positional != null && !positionalTaken) {
                positional.setter().set(arg);
                positionalTaken = true;
            } else {
                throw new UsageError("Unmatched argument at index " + i + ": '" + arg + "'");
            }
        }
        return Request.RUN;
    }

    private Option option(String optionName) {
        for (Option option : options) {
            if (option.name().equals(optionName)) {
                return option;
            }
        }
        return null;
    }

    /** A path, for an option such as {@code --root}. */
    static Path path(String option, String value) throws UsageError {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageError("Invalid value for option '" + option + "': '" + value + "' is not a path");
        }
    }

    /** A whole number, for an option such as {@code --manifest-timeout}. */
    static long wholeNumber(String option, String value) throws UsageError {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new UsageError("Invalid value for option '" + option + "': '" + value + "' is not a whole number");
        }
    }

    void printHelp(PrintStream out) {
        List<Option> shown = options.stream().filter(option -> !option.hidden()).toList();
        StringBuilder usage = new StringBuilder("Usage: ").append(name).append(" [-hV]");
        shown.stream().filter(Option::isFlag).forEach(flag -> usage.append(" [").append(flag.name()).append(']'));
        shown.stream().filter(option -> !option.isFlag())
                .forEach(option -> usage.append(" [").append(option.synopsis()).append(']'));
        if (positional != null) {
            usage.append(" [").append(positional.label()).append(']');
        }
        if (!subcommands.isEmpty()) {
            usage.append(" [COMMAND]");
        }
        out.println(usage);
        description.forEach(out::println);
        List<String[]> rows = new ArrayList<>();
        if (positional != null) {
            rows.add(new String[] {"      [" + positional.label() + "]", positional.description()});
        }
        shown.forEach(option -> rows.add(new String[] {"      " + option.synopsis(), option.description()}));
        rows.add(new String[] {"  -h, --help", "Show this help message and exit."});
        rows.add(new String[] {"  -V, --version", "Print version information and exit."});
        printColumns(out, rows);
        if (!subcommands.isEmpty()) {
            out.println("Commands:");
            printColumns(out, subcommands.stream().map(row -> new String[] {"  " + row[0], row[1]}).toList());
        }
        footer.forEach(out::println);
    }

    private static void printColumns(PrintStream out, List<String[]> rows) {
        int width = rows.stream().mapToInt(row -> row[0].length()).max().orElse(0) + 2;
        for (String[] row : rows) {
            out.println(row[0] + " ".repeat(width - row[0].length()) + row[1]);
        }
    }
}
