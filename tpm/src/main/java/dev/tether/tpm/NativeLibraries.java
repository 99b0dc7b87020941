package dev.tether.tpm;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * Loads the system's tpm2-tss libraries by soname. Sonames rather than {@code tss2-esys}: a runtime system
 * (and the initramfs) has only {@code libtss2-esys.so.0}, the unversioned symlink comes with the -dev package.
 */
final class NativeLibraries {
    private NativeLibraries() {}

    static <T extends Library> T load(String soname, String debianPackage, Class<T> binding) throws TpmException {
        try {
            return Native.load(soname, binding);
        } catch (UnsatisfiedLinkError e) {
            throw missing(soname, debianPackage, e);
        }
    }

    static NativeLibrary loadRaw(String soname, String debianPackage) throws TpmException {
        try {
            return NativeLibrary.getInstance(soname);
        } catch (UnsatisfiedLinkError e) {
            throw missing(soname, debianPackage, e);
        }
    }

    private static TpmException missing(String soname, String debianPackage, UnsatisfiedLinkError e) {
        return new TpmException("Cannot load the TPM library " + soname + " (Debian 12 package " + debianPackage
                + "; in the initramfs it must be copied along with its dependencies): " + e.getMessage(), e);
    }
}
