package dev.tether.tpm;

import java.util.Arrays;

/**
 * Builds TPM structures in wire format (TPM 2.0 Part 1: big-endian, sized buffers as a 16-bit length and the
 * bytes). Secrets pass through it, so every buffer it drops or hands out can be wiped.
 */
final class WireWriter {
    private byte[] buf = new byte[64];
    private int len;

    WireWriter u8(int v) {
        ensure(1);
        buf[len++] = (byte) v;
        return this;
    }

    WireWriter u16(int v) {
        ensure(2);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    WireWriter u32(int v) {
        ensure(4);
        buf[len++] = (byte) (v >>> 24);
        buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    WireWriter bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    /** A TPM2B: 16-bit size, then the bytes. */
    WireWriter tpm2b(byte[] b) {
        if (b.length > 0xffff) {
            throw new IllegalArgumentException("TPM2B of " + b.length + " bytes");
        }
        return u16(b.length).bytes(b);
    }

    /** A TPM2B around a nested structure, e.g. TPM2B_PUBLIC around TPMT_PUBLIC. */
    WireWriter tpm2b(WireWriter inner) {
        byte[] b = inner.toByteArray();
        try {
            return tpm2b(b);
        } finally {
            Arrays.fill(b, (byte) 0);
            inner.wipe();
        }
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    void wipe() {
        Arrays.fill(buf, (byte) 0);
        len = 0;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            byte[] old = buf;
            buf = Arrays.copyOf(old, Math.max(old.length * 2, len + more));
            Arrays.fill(old, (byte) 0);
        }
    }
}
