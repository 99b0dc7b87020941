package dev.tether.dev;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One of a fixed number of numbered blocks of addresses, held through a lock on the block's file for as long as it is
 * open (or the process lives): two local clusters or VM suites on one machine each take a block of their own. A block
 * whose lock is free belongs to nobody running, so whatever a killed run left in it is its new holder's to take over.
 */
final class AddressBlock implements AutoCloseable {
    private final int number;
    private final FileChannel lockFile;

    private AddressBlock(int number, FileChannel lockFile) {
        this.number = number;
        this.lockFile = lockFile;
    }

    /**
     * The first free block of {@code blocks}, whose lock files are in {@code locks}.
     *
     * @param what what the blocks are, for the error when every one is held
     * @throws IOException when every block is held
     */
    static AddressBlock take(Path locks, int blocks, String what) throws IOException {
        Files.createDirectories(locks);
        for (int number = 0; number < blocks; number++) {
            FileChannel lockFile = FileChannel.open(locks.resolve(number + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            if (lock(lockFile)) {
                return new AddressBlock(number, lockFile);
            }
            lockFile.close();
        }
        throw new IOException("every block of " + what + " (" + blocks + ") is held by a running local cluster or test;"
                + " locks in " + locks);
    }

    private static boolean lock(FileChannel lockFile) throws IOException {
        try {
            FileLock lock = lockFile.tryLock();
            return lock != null;
        } catch (OverlappingFileLockException e) {
            return false; // this JVM holds it
        }
    }

    int number() {
        return number;
    }

    /** Releases the block; what its holder added must be gone first. */
    @Override
    public void close() {
        try {
            lockFile.close();
        } catch (IOException e) {
            System.err.println("[AddressBlock] could not release the lock on block " + number + ": " + e.getMessage());
        }
    }
}
