package dev.tether.agent.root;

/**
 * One reading of a zram device's {@code mm_stat}: how much was written, how small it compressed, and how
 * much memory the device holds for it. {@link #memUsedTotal()} is what a trim gives back.
 *
 * @param origDataSize bytes written and not discarded, before compression
 * @param comprDataSize the same data compressed
 * @param memUsedTotal memory the device holds, including allocator overhead
 * @param samePages pages stored as one repeated value (zero pages cost nothing)
 */
public record ZramStats(long origDataSize, long comprDataSize, long memUsedTotal, long memLimit,
        long memUsedMax, long samePages) {

    static ZramStats parse(String mmStat) {
        String[] fields = mmStat.strip().split("\\s+");
        if (fields.length < 6) {
            throw new IllegalArgumentException("mm_stat has " + fields.length + " fields, expected at least 6: " + mmStat);
        }
        return new ZramStats(Long.parseLong(fields[0]), Long.parseLong(fields[1]), Long.parseLong(fields[2]),
                Long.parseLong(fields[3]), Long.parseLong(fields[4]), Long.parseLong(fields[5]));
    }
}
