package dev.tether.agent.persistence;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A node's archive as it is stored and travels: a 48-byte header ({@code "TTHRPA01"}, the generation as 8 bytes
 * big-endian, a random 32-byte salt), then the archive in chunks of at most 64 KiB, each sealed with AES-256-GCM under
 * the archive's own key ({@link ArchiveKey}), nonce {@code 0x00000000 <chunk index, 8 bytes>} (the key is new for every
 * archive, so a counter never repeats under one key), associated data {@code <header> <chunk index> <1 for the last
 * chunk, else 0>}. The index stops chunks being swapped, the last-chunk flag stops an archive being cut short, the
 * header binds the generation, and the key binds the node. docs/persistence.md.
 */
public final class SealedArchive {
    static final byte[] MAGIC = {'T', 'T', 'H', 'R', 'P', 'A', '0', '1'};
    static final int HEADER_LENGTH = 48;
    static final int CHUNK = 64 * 1024;
    static final int TAG = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SealedArchive() {
    }

    /** A stream that seals what is written to it into {@code out}; {@link OutputStream#close} writes the last chunk. */
    public static OutputStream seal(OutputStream out, byte[] nodeKey, String namespace, String node, long generation)
            throws IOException {
        byte[] salt = new byte[32];
        RANDOM.nextBytes(salt);
        byte[] header = ByteBuffer.allocate(HEADER_LENGTH).put(MAGIC).putLong(generation).put(salt).array();
        out.write(header);
        return new Sealing(out, header, ArchiveKey.derive(nodeKey, salt, namespace, node, generation));
    }

    /**
     * A stream of the archive in {@code in}, opened only if it was sealed for this node and exactly {@code generation};
     * every chunk is checked before any of its bytes are returned.
     *
     * @throws ArchiveRefusedException (from this call or any read) when the archive is another's, of another generation,
     *     altered or cut short
     */
    public static InputStream open(InputStream in, byte[] nodeKey, String namespace, String node, long generation)
            throws IOException {
        byte[] header = in.readNBytes(HEADER_LENGTH);
        if (header.length < HEADER_LENGTH || !Arrays.equals(Arrays.copyOf(header, MAGIC.length), MAGIC)) {
            throw new ArchiveRefusedException("it is not a Tether archive (no TTHRPA01 header)");
        }
        ByteBuffer fields = ByteBuffer.wrap(header, MAGIC.length, HEADER_LENGTH - MAGIC.length);
        long sealedFor = fields.getLong();
        byte[] salt = new byte[32];
        fields.get(salt);
        if (sealedFor != generation) {
            throw new ArchiveRefusedException("it says it is generation " + sealedFor + " where the operator records "
                    + generation + " (an older archive served in the newest one's place?)");
        }
        return new Opening(in, header, ArchiveKey.derive(nodeKey, salt, namespace, node, generation));
    }

    private static byte[] associated(byte[] header, long index, boolean last) {
        return ByteBuffer.allocate(header.length + Long.BYTES + 1).put(header).putLong(index).put((byte) (last ? 1 : 0)).array();
    }

    private static GCMParameterSpec nonce(long index) {
        return new GCMParameterSpec(TAG * 8, ByteBuffer.allocate(12).putInt(0).putLong(index).array());
    }

    private static final class Sealing extends FilterOutputStream {
        private final byte[] header;
        private final SecretKeySpec key;
        private final Cipher cipher;
        private final byte[] buffer = new byte[CHUNK];
        private int filled;
        private long index;
        private boolean closed;

        Sealing(OutputStream out, byte[] header, byte[] key) throws IOException {
            super(out);
            this.header = header;
            this.key = new SecretKeySpec(key, "AES");
            Arrays.fill(key, (byte) 0);
            try {
                this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IOException("AES-GCM is missing from this Java runtime", e);
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            while (length > 0) {
                if (filled == CHUNK) {
                    // A full chunk is sealed only once more bytes follow: the last chunk must carry the last flag.
                    flushChunk(false);
                }
                int n = Math.min(length, CHUNK - filled);
                System.arraycopy(bytes, offset, buffer, filled, n);
                filled += n;
                offset += n;
                length -= n;
            }
        }

        private void flushChunk(boolean last) throws IOException {
            try {
                cipher.init(Cipher.ENCRYPT_MODE, key, nonce(index));
                cipher.updateAAD(associated(header, index, last));
                out.write(cipher.doFinal(buffer, 0, filled));
            } catch (GeneralSecurityException e) {
                throw new IOException("could not seal the archive", e);
            }
            index++;
            filled = 0;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            flushChunk(true);
            out.close();
        }
    }

    private static final class Opening extends InputStream {
        private final InputStream in;
        private final byte[] header;
        private final SecretKeySpec key;
        private final Cipher cipher;
        /** One sealed chunk, and one byte more to learn whether it is the last. */
        private final byte[] sealed = new byte[CHUNK + TAG + 1];
        private int carried;
        private byte[] plain = new byte[0];
        private int position;
        private long index;
        private boolean ended;

        Opening(InputStream in, byte[] header, byte[] key) throws IOException {
            this.in = in;
            this.header = header;
            this.key = new SecretKeySpec(key, "AES");
            Arrays.fill(key, (byte) 0);
            try {
                this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IOException("AES-GCM is missing from this Java runtime", e);
            }
            next();
        }

        private void next() throws IOException {
            int length = carried;
            while (length < sealed.length) {
                int n = in.read(sealed, length, sealed.length - length);
                if (n < 0) {
                    break;
                }
                length += n;
            }
            boolean last = length <= CHUNK + TAG;
            int chunkLength = last ? length : CHUNK + TAG;
            if (chunkLength < TAG) {
                throw new ArchiveRefusedException("it ends inside chunk " + index + " (cut short)");
            }
            try {
                cipher.init(Cipher.DECRYPT_MODE, key, nonce(index));
                cipher.updateAAD(associated(header, index, last));
                plain = cipher.doFinal(sealed, 0, chunkLength);
            } catch (AEADBadTagException e) {
                throw new ArchiveRefusedException(index == 0
                        ? "it was not sealed for this node and generation with this node's key, or it was altered"
                        : "chunk " + index + " was altered, moved or cut short");
            } catch (GeneralSecurityException e) {
                throw new IOException("could not open the archive", e);
            }
            position = 0;
            index++;
            if (last) {
                ended = true;
                carried = 0;
            } else {
                sealed[0] = sealed[CHUNK + TAG];
                carried = 1;
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            while (position == plain.length) {
                if (ended) {
                    return -1;
                }
                next();
            }
            int n = Math.min(length, plain.length - position);
            System.arraycopy(plain, position, bytes, offset, n);
            position += n;
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Reads {@code in} to its end, checking every chunk, and says how many bytes it holds. */
    static long verify(InputStream opened) throws IOException {
        long total = 0;
        byte[] skip = new byte[CHUNK];
        for (int n; (n = opened.read(skip)) >= 0; ) {
            total += n;
        }
        return total;
    }
}
