package dev.tether.tpm;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.NativeLongByReference;

/**
 * libtss2-mu: converts between TPM wire format and the C structures Esys takes. We build every input in wire
 * format in Java (big-endian, simple) and let {@code Tss2_MU_<TYPE>_Unmarshal} fill the C structure, and read
 * outputs back with {@code Tss2_MU_<TYPE>_Marshal}; so no TPM union is mirrored in a JNA Structure.
 */
final class Mu {
    static final String SONAME = "libtss2-mu.so.0";
    static final String PACKAGE = "libtss2-mu0";

    /**
     * The C structures we pass or receive, with {@code sizeof} measured once on Debian 12 (tpm2-tss 3.2.1,
     * x86_64) by a small C program compiled against the headers of libtss2-dev:
     * {@code printf("%zu", sizeof(TPM2B_PUBLIC))} and so on. They are fixed by the TSS ABI, which Esys checks
     * at initialisation against the version we pass (see {@link Esys#ABI_VERSION}).
     */
    enum Type {
        TPM2B_PUBLIC(616),
        TPM2B_SENSITIVE_CREATE(326),
        TPM2B_DATA(66),
        TPM2B_DIGEST(66),
        TPM2B_SENSITIVE_DATA(258),
        TPM2B_PRIVATE(1552),
        TPML_PCR_SELECTION(132),
        TPML_DIGEST_VALUES(1060),
        TPMT_SYM_DEF(6),
        TPMS_CAPABILITY_DATA(1032),
        /** 2 + sizeof(TPMS_ID_OBJECT): two TPM2B_DIGESTs. */
        TPM2B_ID_OBJECT(134),
        /** 2 + sizeof(TPMU_ENCRYPTED_SECRET), whose largest member is TPM2_MAX_RSA_KEY_BYTES (512). */
        TPM2B_ENCRYPTED_SECRET(514);

        final int size;

        Type(int size) {
            this.size = size;
        }
    }

    /** Spare bytes after each structure, filled with a canary: a wrong size shows as a clear error, not a crash later. */
    private static final int GUARD = 64;
    private static final byte CANARY = (byte) 0xA5;

    private final NativeLibrary lib;

    private Mu(NativeLibrary lib) {
        this.lib = lib;
    }

    static Mu load() throws TpmException {
        return new Mu(NativeLibraries.loadRaw(SONAME, PACKAGE));
    }

    /**
     * The C structure for {@code wire}, in native memory that the caller owns (wipe it with {@link #wipe} when it
     * held a secret). The whole of {@code wire} must be one value of {@code type}.
     */
    Memory toNative(Type type, byte[] wire) throws TpmException {
        Memory source = new Memory(Math.max(1, wire.length));
        Memory dest = new Memory(type.size + GUARD);
        try {
            source.write(0, wire, 0, wire.length);
            dest.clear();
            dest.setMemory(type.size, GUARD, CANARY);
            NativeLongByReference offset = new NativeLongByReference(new NativeLong(0));
            int rc = function(type, "Unmarshal").invokeInt(new Object[] {source, new NativeLong(wire.length), offset, dest});
            if (rc != 0) {
                throw new TpmException(String.format("Tss2_MU_%s_Unmarshal rejected our structure: 0x%08x", type, rc));
            }
            if (offset.getValue().longValue() != wire.length) {
                throw new TpmException("Tss2_MU_" + type + "_Unmarshal read " + offset.getValue() + " of " + wire.length + " bytes");
            }
            for (int i = 0; i < GUARD; i++) {
                if (dest.getByte(type.size + i) != CANARY) {
                    throw new TpmException("The C structure " + type + " is larger than the " + type.size
                            + " bytes measured for this build; the installed tpm2-tss does not match");
                }
            }
            return dest;
        } catch (TpmException | RuntimeException e) {
            wipe(dest);
            throw e;
        } finally {
            wipe(source);
        }
    }

    /** The wire bytes of the C structure at {@code struct} (for example an Esys output). */
    byte[] fromNative(Type type, Pointer struct) throws TpmException {
        // The wire form is never longer than the C structure: every field is as wide or narrower, and unused
        // union members and array slots are not written.
        Memory out = new Memory(type.size + GUARD);
        try {
            NativeLongByReference offset = new NativeLongByReference(new NativeLong(0));
            int rc = function(type, "Marshal").invokeInt(new Object[] {struct, out, new NativeLong(out.size()), offset});
            if (rc != 0) {
                throw new TpmException(String.format("Tss2_MU_%s_Marshal failed: 0x%08x", type, rc));
            }
            return out.getByteArray(0, (int) offset.getValue().longValue());
        } finally {
            wipe(out);
        }
    }

    private Function function(Type type, String direction) throws TpmException {
        String name = "Tss2_MU_" + type + "_" + direction;
        try {
            return lib.getFunction(name);
        } catch (UnsatisfiedLinkError e) {
            throw new TpmException(SONAME + " has no " + name + ": " + e.getMessage(), e);
        }
    }

    /** Zeroes and frees; secrets must not linger in freed native memory. */
    static void wipe(Memory memory) {
        if (memory != null) {
            memory.clear();
            memory.close();
        }
    }
}
