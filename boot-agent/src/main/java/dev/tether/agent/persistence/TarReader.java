package dev.tether.agent.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a pax or ustar tar, as {@link TarWriter} or {@code tar --format=pax --xattrs} write it, with bounds: an extended
 * header is at most 1 MiB, a name at most 4096 bytes. Checks each header's checksum. Global pax headers are skipped;
 * GNU long-name entries, hard links, devices and FIFOs come back as {@link TarEntry.Type#OTHER}, for the caller to refuse.
 */
final class TarReader {
    static final int MAX_PAX_BYTES = 1 << 20;
    static final int MAX_NAME_BYTES = 4096;
    private static final int BLOCK = TarWriter.BLOCK;

    private final InputStream in;
    private long contentLeft;
    private long paddingLeft;

    TarReader(InputStream in) {
        this.in = in;
    }

    /** The next entry, or empty at the archive's end; its content (for a file) is read with {@link #content}. */
    Optional<TarEntry> next() throws IOException {
        skip(contentLeft + paddingLeft);
        contentLeft = 0;
        paddingLeft = 0;
        Map<String, byte[]> pax = Map.of();
        while (true) {
            byte[] header = in.readNBytes(BLOCK);
            if (header.length < BLOCK) {
                throw new IOException("the archive ends inside a header");
            }
            if (isZero(header)) {
                return Optional.empty();
            }
            checkSum(header);
            char type = (char) header[156];
            long size = number(header, 124, 12);
            if (type == 'x' || type == 'g') {
                if (size > MAX_PAX_BYTES) {
                    throw new IOException("an extended header of " + size + " bytes; at most " + MAX_PAX_BYTES);
                }
                byte[] records = in.readNBytes((int) size);
                skip(padding(size));
                if (type == 'x') {
                    pax = parsePax(records);
                }
                continue;
            }
            String name = pax.containsKey("path") ? text(pax.get("path")) : ustarName(header);
            // tar writes a directory's name with a trailing slash.
            while (name.length() > 1 && name.endsWith("/")) {
                name = name.substring(0, name.length() - 1);
            }
            String link = pax.containsKey("linkpath") ? text(pax.get("linkpath")) : string(header, 157, 100);
            if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES || link.length() > MAX_NAME_BYTES) {
                throw new IOException("an entry name or link target longer than " + MAX_NAME_BYTES + " bytes");
            }
            if (pax.containsKey("size")) {
                size = Long.parseLong(text(pax.get("size")));
            }
            int mode = (int) number(header, 100, 8);
            int uid = pax.containsKey("uid") ? Integer.parseUnsignedInt(text(pax.get("uid"))) : (int) number(header, 108, 8);
            int gid = pax.containsKey("gid") ? Integer.parseUnsignedInt(text(pax.get("gid"))) : (int) number(header, 116, 8);
            long mtime = pax.containsKey("mtime") ? (long) Double.parseDouble(text(pax.get("mtime"))) : number(header, 136, 12);
            Map<String, byte[]> xattrs = new LinkedHashMap<>();
            pax.forEach((key, value) -> {
                if (key.startsWith("SCHILY.xattr.")) {
                    xattrs.put(key.substring("SCHILY.xattr.".length()), value);
                }
            });
            TarEntry.Type kind = switch (type) {
                case '0', '\0', '7' -> TarEntry.Type.FILE;
                case '5' -> TarEntry.Type.DIRECTORY;
                case '2' -> TarEntry.Type.SYMLINK;
                default -> TarEntry.Type.OTHER;
            };
            // Only a regular file's size is content; other types' bytes (a GNU long name) are skipped.
            contentLeft = size;
            paddingLeft = padding(size);
            if (kind == TarEntry.Type.DIRECTORY || kind == TarEntry.Type.SYMLINK) {
                skip(contentLeft + paddingLeft);
                contentLeft = 0;
                paddingLeft = 0;
            }
            return Optional.of(new TarEntry(name, kind, mode & 07777, uid, gid, mtime, kind == TarEntry.Type.SYMLINK ? link : null,
                    kind == TarEntry.Type.FILE ? size : 0, xattrs));
        }
    }

    /** The current file's content; reading it past its size gives end of stream. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
                if (contentLeft == 0) {
                    return -1;
                }
                int n = in.read(bytes, offset, (int) Math.min(length, contentLeft));
                if (n < 0) {
                    throw new IOException("the archive ends inside a file");
                }
                contentLeft -= n;
                return n;
            }
        };
    }

    private static Map<String, byte[]> parsePax(byte[] records) throws IOException {
        Map<String, byte[]> values = new LinkedHashMap<>();
        int at = 0;
        while (at < records.length) {
            int space = at;
            while (space < records.length && records[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(records, at, space - at, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new IOException("a malformed extended header record");
            }
            int end = at + length;
            if (length <= 0 || end > records.length || records[end - 1] != '\n') {
                throw new IOException("a malformed extended header record");
            }
            int equals = space + 1;
            while (equals < end && records[equals] != '=') {
                equals++;
            }
            if (equals >= end) {
                throw new IOException("a malformed extended header record");
            }
            String key = new String(records, space + 1, equals - space - 1, StandardCharsets.UTF_8);
            values.put(key, Arrays.copyOfRange(records, equals + 1, end - 1));
            at = end;
        }
        return values;
    }

    /** Read, not skipped: a stream under this one may be hashing every byte (the restore's digest of the archive). */
    private void skip(long bytes) throws IOException {
        byte[] discard = new byte[(int) Math.min(bytes, 64 * 1024)];
        long left = bytes;
        while (left > 0) {
            int n = in.read(discard, 0, (int) Math.min(discard.length, left));
            if (n < 0) {
                throw new IOException("the archive ends early");
            }
            left -= n;
        }
    }

    private static long padding(long size) {
        long rest = size % BLOCK;
        return rest == 0 ? 0 : BLOCK - rest;
    }

    private static void checkSum(byte[] header) throws IOException {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += i >= 148 && i < 156 ? ' ' : header[i] & 0xff;
        }
        if (sum != number(header, 148, 8)) {
            throw new IOException("a tar header's checksum does not match");
        }
    }

    private static long number(byte[] header, int offset, int length) throws IOException {
        if ((header[offset] & 0x80) != 0) {
            // GNU base-256: big numbers tar writes without pax.
            long value = header[offset] & 0x7f;
            for (int i = 1; i < length; i++) {
                value = (value << 8) | (header[offset + i] & 0xff);
            }
            return value;
        }
        String text = string(header, offset, length).trim();
        if (text.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(text, 8);
        } catch (NumberFormatException e) {
            throw new IOException("a tar header holds a malformed number");
        }
    }

    private static String ustarName(byte[] header) {
        String name = string(header, 0, 100);
        String prefix = new String(header, 257, 6, StandardCharsets.US_ASCII).startsWith("ustar") ? string(header, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static String string(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static String text(byte[] value) {
        return new String(value, StandardCharsets.UTF_8);
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
