package dev.tether.tpm;

import com.sun.jna.Library;

/** libtss2-rc: response codes in words. */
final class Rc {
    static final String SONAME = "libtss2-rc.so.0";
    static final String PACKAGE = "libtss2-rc0";

    interface Lib extends Library {
        /** Returns a pointer to a thread-local static buffer; JNA copies it into a Java string at once. */
        String Tss2_RC_Decode(int rc);
    }

    private final Lib lib;

    Rc(Lib lib) {
        this.lib = lib;
    }

    static Rc load() throws TpmException {
        return new Rc(NativeLibraries.load(SONAME, PACKAGE, Lib.class));
    }

    /** "0x0000099d (tpm:session(1):a policy check failed)". */
    String describe(int rc) {
        return String.format("0x%08x (%s)", rc, lib.Tss2_RC_Decode(rc));
    }
}
