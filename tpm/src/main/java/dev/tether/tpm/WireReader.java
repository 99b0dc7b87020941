package dev.tether.tpm;

import java.util.Arrays;

/** Reads TPM wire format (big-endian); a short or malformed buffer is a TpmException, not an index error. */
final class WireReader {
    private final byte[] buf;
    private int pos;

    WireReader(byte[] buf) {
        this.buf = buf;
    }

    int u8() throws TpmException {
        need(1);
        return buf[pos++] & 0xff;
    }

    int u16() throws TpmException {
        need(2);
        int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    int u32() throws TpmException {
        need(4);
        int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    byte[] bytes(int n) throws TpmException {
        need(n);
        byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return b;
    }

    /** The contents of a TPM2B. */
    byte[] tpm2b() throws TpmException {
        return bytes(u16());
    }

    int remaining() {
        return buf.length - pos;
    }

    private void need(int n) throws TpmException {
        if (n < 0 || buf.length - pos < n) {
            throw new TpmException("Truncated TPM structure: wanted " + n + " bytes at offset " + pos + " of " + buf.length);
        }
    }
}
