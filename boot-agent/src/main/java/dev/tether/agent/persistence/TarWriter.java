package dev.tether.agent.persistence;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes a pax tar (POSIX.1-2001, as {@code tar --format=pax --xattrs} reads it): every entry gets an extended header
 * with its full path, link target, owner, time and extended attributes, so nothing depends on the 100-byte ustar fields.
 * A decrypted archive is an ordinary tar an administrator can inspect or extract by hand.
 */
final class TarWriter implements AutoCloseable {
    static final int BLOCK = 512;

    private final OutputStream out;
    private long written;

    TarWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes the entry; a file's content is {@code entry.size()} bytes of {@code content} (padded or cut to that). */
    void write(TarEntry entry, InputStream content) throws IOException {
        byte[] pax = paxRecords(entry);
        writeHeader(paxName(entry.name()), 'x', 0644, 0, 0, entry.mtimeSeconds(), "", pax.length);
        writePadded(pax);
        char type = switch (entry.type()) {
            case FILE -> '0';
            case DIRECTORY -> '5';
            case SYMLINK -> '2';
            case OTHER -> throw new IllegalArgumentException(entry.name() + ": only files, directories and links are kept");
        };
        long size = entry.type() == TarEntry.Type.FILE ? entry.size() : 0;
        writeHeader(entry.name(), type, entry.mode(), entry.uid(), entry.gid(), entry.mtimeSeconds(),
                entry.linkTarget() == null ? "" : entry.linkTarget(), size);
        if (size > 0) {
            byte[] buffer = new byte[64 * 1024];
            long left = size;
            while (left > 0) {
                int n = content.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    // The file shrank while it was read: tar's answer, zeros to the size announced.
                    Arrays.fill(buffer, (byte) 0);
                    n = (int) Math.min(buffer.length, left);
                }
                out.write(buffer, 0, n);
                left -= n;
            }
            written += size;
            pad();
        }
    }

    /** Two zero blocks end the archive. */
    @Override
    public void close() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.close();
    }

    private static byte[] paxRecords(TarEntry entry) {
        var records = new ByteArrayOutputStream();
        record(records, "path", entry.name().getBytes(StandardCharsets.UTF_8));
        if (entry.linkTarget() != null) {
            record(records, "linkpath", entry.linkTarget().getBytes(StandardCharsets.UTF_8));
        }
        record(records, "uid", Integer.toUnsignedString(entry.uid()).getBytes(StandardCharsets.US_ASCII));
        record(records, "gid", Integer.toUnsignedString(entry.gid()).getBytes(StandardCharsets.US_ASCII));
        record(records, "mtime", Long.toString(entry.mtimeSeconds()).getBytes(StandardCharsets.US_ASCII));
        if (entry.type() == TarEntry.Type.FILE) {
            record(records, "size", Long.toString(entry.size()).getBytes(StandardCharsets.US_ASCII));
        }
        for (Map.Entry<String, byte[]> xattr : entry.xattrs().entrySet()) {
            record(records, "SCHILY.xattr." + xattr.getKey(), xattr.getValue());
        }
        return records.toByteArray();
    }

    /** {@code "<length> <key>=<value>\n"}, where the length counts the whole record, its own digits included. */
    private static void record(ByteArrayOutputStream out, String key, byte[] value) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        int rest = 1 + keyBytes.length + 1 + value.length + 1;
        int length = rest + Integer.toString(rest).length();
        if (Integer.toString(length).length() != Integer.toString(rest).length()) {
            length++;
        }
        out.writeBytes((length + " ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(keyBytes);
        out.write('=');
        out.writeBytes(value);
        out.write('\n');
    }

    private static String paxName(String name) {
        int slash = name.lastIndexOf('/');
        String base = slash < 0 ? name : name.substring(slash + 1);
        return "PaxHeaders/" + (base.length() > 80 ? base.substring(0, 80) : base);
    }

    private void writeHeader(String name, char type, int mode, int uid, int gid, long mtime, String link, long size)
            throws IOException {
        byte[] header = new byte[BLOCK];
        // The ustar fields: truncated where too long, since the pax record before it holds the whole value.
        put(header, 0, 100, utf8Prefix(name, 100));
        octal(header, 100, 8, mode & 07777);
        octal(header, 108, 8, uid >= 0 && uid < 07777777 ? uid : 0);
        octal(header, 116, 8, gid >= 0 && gid < 07777777 ? gid : 0);
        octal(header, 124, 12, size < 077777777777L ? size : 0);
        octal(header, 136, 12, mtime >= 0 && mtime < 077777777777L ? mtime : 0);
        Arrays.fill(header, 148, 156, (byte) ' ');
        header[156] = (byte) type;
        put(header, 157, 100, utf8Prefix(link, 100));
        put(header, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(header, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        byte[] checksum = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(checksum, 0, header, 148, 8);
        out.write(header);
        written += BLOCK;
    }

    private void writePadded(byte[] bytes) throws IOException {
        out.write(bytes);
        written += bytes.length;
        pad();
    }

    private void pad() throws IOException {
        int rest = (int) (written % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
            written += BLOCK - rest;
        }
    }

    private static byte[] utf8Prefix(String text, int max) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= max ? bytes : Arrays.copyOf(bytes, max);
    }

    private static void put(byte[] header, int offset, int length, byte[] value) {
        System.arraycopy(value, 0, header, offset, Math.min(length, value.length));
    }

    private static void octal(byte[] header, int offset, int length, long value) {
        byte[] digits = String.format("%0" + (length - 1) + "o", value).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, header, offset, length - 1);
        header[offset + length - 1] = 0;
    }
}
