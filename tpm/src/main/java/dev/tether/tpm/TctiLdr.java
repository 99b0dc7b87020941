package dev.tether.tpm;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/**
 * libtss2-tctildr: opens a TCTI from a configuration string such as {@code device:/dev/tpmrm0} or
 * {@code swtpm:host=127.0.0.1,port=2321}. The loader dlopens the module {@code libtss2-tcti-<name>.so.0} itself.
 */
final class TctiLdr {
    static final String SONAME = "libtss2-tctildr.so.0";
    static final String PACKAGE = "libtss2-tctildr0";

    interface Lib extends Library {
        int Tss2_TctiLdr_Initialize(String nameConf, PointerByReference context);

        void Tss2_TctiLdr_Finalize(PointerByReference context);
    }

    private final Lib lib;

    TctiLdr(Lib lib) {
        this.lib = lib;
    }

    static TctiLdr load() throws TpmException {
        return new TctiLdr(NativeLibraries.load(SONAME, PACKAGE, Lib.class));
    }

    /** The TCTI context, or a TpmException naming the configuration and the loader's reason. */
    Pointer open(String config, Rc rc) throws TpmException {
        PointerByReference context = new PointerByReference();
        int result = lib.Tss2_TctiLdr_Initialize(config, context);
        if (result != 0) {
            String name = config.contains(":") ? config.substring(0, config.indexOf(':')) : config;
            throw new TpmException("Cannot open the TPM through TCTI '" + config + "': " + rc.describe(result)
                    + ". Is the TPM there, and is the TCTI module libtss2-tcti-" + name + ".so.0 installed"
                    + " (Debian 12 package libtss2-tcti-" + name + "0)?");
        }
        return context.getValue();
    }

    void close(Pointer context) {
        lib.Tss2_TctiLdr_Finalize(new PointerByReference(context));
    }
}
