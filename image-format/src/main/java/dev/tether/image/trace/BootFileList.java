package dev.tether.image.trace;

import dev.tether.image.squashfs.DiskRange;
import dev.tether.image.squashfs.SquashfsFile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The files a boot read, in the order it first read them: what {@code imgutil pack --boot-order} places first in
 * the next image, so that a tethered boot fetches one contiguous run at the front.
 *
 * <p>A read of a file's data blocks names that file. A read of a fragment block (the tails of small files, packed
 * together) names every file with its tail there, since the trace cannot tell them apart; they are small, and
 * placing them first costs little. A file that meets a read only in the read's first or last page is a neighbour the
 * page came with, not a file read. Read-ahead still names the files after one read (the kernel reads ahead up to a
 * few MiB): after a re-pack they lie among the boot files, which costs their bytes, not a seek. Reads of metadata (inode and directory tables) name no file. One path per
 * inode: hard links are one file to mksquashfs's sort.
 */
public final class BootFileList {
    /** The kernel's unit of reading a file (and the FUSE file the agent serves). */
    private static final long PAGE = 4096;

    private BootFileList() {
    }

    public static List<String> map(List<SquashfsFile> files, RootReadTrace trace) {
        return new Index(files).map(trace);
    }

    /** The files' data ranges sorted by start, with the furthest end reached so far, for overlap queries. */
    private static final class Index {
        private final SquashfsFile[] byStart;
        private final long[] starts;
        private final long[] maxEndSoFar;
        private final Map<DiskRange, List<SquashfsFile>> byFragment = new LinkedHashMap<>();
        private final DiskRange[] fragments;
        private final long[] fragmentStarts;

        Index(List<SquashfsFile> files) {
            byStart = files.stream().filter(f -> !f.blocks().isEmpty())
                    .sorted(Comparator.comparingLong((SquashfsFile f) -> f.blocks().start()))
                    .toArray(SquashfsFile[]::new);
            starts = new long[byStart.length];
            maxEndSoFar = new long[byStart.length];
            long max = 0;
            for (int i = 0; i < byStart.length; i++) {
                starts[i] = byStart[i].blocks().start();
                max = Math.max(max, byStart[i].blocks().end());
                maxEndSoFar[i] = max;
            }
            for (SquashfsFile file : files) {
                if (file.fragment() != null && !file.fragment().isEmpty()) {
                    byFragment.computeIfAbsent(file.fragment(), k -> new ArrayList<>()).add(file);
                }
            }
            // Fragment blocks never overlap one another.
            fragments = byFragment.keySet().stream().sorted(Comparator.comparingLong(DiskRange::start))
                    .toArray(DiskRange[]::new);
            fragmentStarts = Arrays.stream(fragments).mapToLong(DiskRange::start).toArray();
        }

        List<String> map(RootReadTrace trace) {
            List<String> paths = new ArrayList<>();
            Set<Long> seenInodes = new HashSet<>();
            for (RootReadTrace.Read read : trace.reads()) {
                List<SquashfsFile> touched = new ArrayList<>();
                int last = lastStartingBefore(starts, read.end());
                for (int i = last; i >= 0 && maxEndSoFar[i] > read.offset(); i--) {
                    if (byStart[i].blocks().overlaps(read.offset(), read.length()) && !onlyAlignment(byStart[i].blocks(), read)) {
                        touched.add(byStart[i]);
                    }
                }
                // Hard links share their blocks: the first of their paths in name order stands for them.
                touched.sort(Comparator.comparingLong((SquashfsFile f) -> f.blocks().start())
                        .thenComparing(SquashfsFile::path));
                for (int i = lastStartingBefore(fragmentStarts, read.end());
                        i >= 0 && fragments[i].end() > read.offset(); i--) {
                    touched.addAll(byFragment.get(fragments[i]));
                }
                for (SquashfsFile file : touched) {
                    if (seenInodes.add(file.inodeNumber())) {
                        paths.add(file.path());
                    }
                }
            }
            return paths;
        }

        /**
         * True when a file's blocks meet a read only in the read's first or last page, and go on beyond the read: the
         * kernel reads whole pages, so the neighbour of a file it wanted shares the page where the two meet. Such a
         * file was not read; its bytes only came along.
         */
        private static boolean onlyAlignment(DiskRange blocks, RootReadTrace.Read read) {
            long firstPageEnd = (read.offset() / PAGE + 1) * PAGE;
            long lastPageStart = (read.end() - 1) / PAGE * PAGE;
            if (read.end() <= firstPageEnd) {
                return false;
            }
            boolean tailInFirstPage = blocks.start() < read.offset() && blocks.end() <= firstPageEnd;
            boolean headInLastPage = blocks.start() >= lastPageStart && blocks.end() > read.end();
            return tailInFirstPage || headInLastPage;
        }

        /** The index of the last start below {@code end}, or -1. */
        private static int lastStartingBefore(long[] sortedStarts, long end) {
            int found = Arrays.binarySearch(sortedStarts, end);
            int insertion = found >= 0 ? found : -found - 1;
            // Equal starts (duplicate files share blocks) all begin at end or later when found: step back past them.
            while (insertion > 0 && sortedStarts[insertion - 1] >= end) {
                insertion--;
            }
            return insertion - 1;
        }
    }
}
