package dev.tether.dev;

import java.util.Locale;

/**
 * Where a guest's CPU time went since its kernel started, from the first line of its {@code /proc/stat} (the kernel's
 * Documentation/filesystems/proc.rst: user, nice, system, idle, iowait, irq, softirq, steal, in clock ticks summed over
 * its CPUs) and its {@code /proc/uptime}. A boot that keeps its CPUs busy can only be made faster by less work; one
 * that leaves them idle while it waits (for the network, a disk, a TPM) has room for work done beside the wait.
 *
 * @param idleSeconds all the time no task ran, the time counted as waiting for I/O ({@code ioWaitSeconds}) included
 */
public record GuestCpu(int cpus, double uptimeSeconds, double busySeconds, double idleSeconds, double ioWaitSeconds) {
    /**
     * The shell that prints what {@link #parse} reads: the number of CPUs the stat line sums, the line, and the uptime.
     * Shell built-ins only: it runs in the command that marks a boot's login ({@link #after}), and a program started
     * there (getconf, grep, head) would add its start, on an emulated CPU and from the root being measured, to the
     * boot's time.
     */
    public static final String COMMAND = "n=0; while read -r name rest; do case $name in cpu) total=\"$name $rest\" ;;"
            + " cpu[0-9]*) n=$((n + 1)) ;; *) break ;; esac; done < /proc/stat;"
            + " read -r up idle < /proc/uptime; echo \"$n\"; echo \"$total\"; echo \"$up\"";

    /**
     * The clock tick /proc/stat counts in: the kernel's USER_HZ, 100 on x86 (what {@code getconf CLK_TCK} says there),
     * a constant of its ABI rather than of a machine.
     */
    static final double USER_HZ = 100;

    /** Between a command's own output and {@link #COMMAND}'s, in {@link #after}. */
    private static final String MARKER = "--- GuestCpu";

    /**
     * {@code command}, then {@link #COMMAND} in the same ssh session: the account is read the moment the command has
     * run, before a further session's sshd and shell add to it. {@link #commandOutput} and {@link #fromOutput} take
     * the two apart.
     */
    public static String after(String command) {
        return command + "; echo '" + MARKER + "'; " + COMMAND;
    }

    /** What the command given to {@link #after} printed. */
    public static String commandOutput(String output) {
        return output.substring(0, marker(output));
    }

    /** The account printed after the command given to {@link #after}. */
    public static GuestCpu fromOutput(String output) {
        return parse(output.substring(marker(output) + MARKER.length()));
    }

    private static int marker(String output) {
        int at = output.lastIndexOf(MARKER);
        if (at < 0) {
            throw new IllegalArgumentException("no CPU account after the command's output: '" + output.strip() + "'");
        }
        return at;
    }

    /** Parses what {@link #COMMAND} printed. */
    public static GuestCpu parse(String output) {
        String[] lines = output.strip().split("\n");
        try {
            if (lines.length == 3 && lines[1].startsWith("cpu ")) {
                int cpus = Integer.parseInt(lines[0].strip());
                String[] fields = lines[1].strip().split("\\s+");
                long busy = 0;
                for (int field : new int[] {1, 2, 3, 6, 7, 8}) { // user nice system irq softirq steal
                    busy += Long.parseLong(fields[field]);
                }
                long ioWait = Long.parseLong(fields[5]);
                return new GuestCpu(cpus, Double.parseDouble(lines[2].strip()), busy / USER_HZ,
                        (Long.parseLong(fields[4]) + ioWait) / USER_HZ, ioWait / USER_HZ);
            }
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            // said below
        }
        throw new IllegalArgumentException("not the output of GuestCpu.COMMAND: '" + output.strip() + "'");
    }

    /** "busy 24.6 s, idle 2.1 s (waiting for I/O 0.4 s) of one CPU's 26.9 s since the kernel started", for a report. */
    public String describe() {
        return String.format(Locale.ROOT, "busy %.1f s, idle %.1f s (waiting for I/O %.1f s) of %s %.1f s since the"
                + " kernel started", busySeconds, idleSeconds, ioWaitSeconds, cpus == 1 ? "one CPU's" : cpus + " CPUs'",
                uptimeSeconds * cpus);
    }
}
