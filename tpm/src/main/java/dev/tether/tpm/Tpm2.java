package dev.tether.tpm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Entry point for the boot agent: find the TPM and open the sealed-secret store on it.
 *
 * <pre>{@code
 * Optional<String> tcti = Tpm2.detect();          // empty: no TPM device; the agent applies the profile's policy
 * try (SealedSecretStore store = Tpm2.open(tcti.get())) {
 *     Optional<byte[]> key = store.unseal();      // empty: nothing sealed yet, or PCR 15 already extended
 *     ... if empty and armed: fetch a key, store.seal(key) ...
 *     store.lock();                               // extend PCR 15: no more unsealing until reboot
 * }
 * }</pre>
 */
public final class Tpm2 {
    /** The persistent handle of the sealed object (docs/contracts.md, "TPM"). */
    public static final int PERSISTENT_HANDLE = 0x81010015;

    /** The largest secret a sealed object holds (MAX_SYM_DATA of TPM 2.0). */
    public static final int MAX_SECRET_BYTES = 128;

    /** The TPM device nodes under /dev, the kernel's resource manager first. */
    public static final List<String> DEVICE_NAMES = List.of("tpmrm0", "tpm0");

    private static Tss2 loaded;

    private Tpm2() {}

    /**
     * The TCTI configuration for this machine's TPM: {@code device:/dev/tpmrm0} (the kernel's resource manager)
     * or else {@code device:/dev/tpm0}; empty when the kernel shows no TPM.
     */
    public static Optional<String> detect() {
        return detect(Path.of("/dev"));
    }

    static Optional<String> detect(Path dev) {
        for (String name : DEVICE_NAMES) {
            Path device = dev.resolve(name);
            if (Files.exists(device)) {
                return Optional.of("device:" + device);
            }
        }
        return Optional.empty();
    }

    /**
     * Opens the store on the TPM that {@code tctiConfig} names, e.g. {@code device:/dev/tpmrm0} or
     * {@code swtpm:host=127.0.0.1,port=2321}.
     *
     * @throws TpmException when a tpm2-tss library is missing (the message names it and its Debian package), the
     *     TCTI cannot be opened, or the TPM does not answer
     */
    public static SealedSecretStore open(String tctiConfig) throws TpmException {
        if (tctiConfig == null || tctiConfig.isBlank()) {
            throw new TpmException("No TCTI configuration given (e.g. device:/dev/tpmrm0)");
        }
        return Tpm2Store.open(libraries(), tctiConfig);
    }

    /**
     * Loads the tpm2-tss libraries and has one of them decode a response code, without touching a TPM: proof
     * that the libraries and their JNA bindings work ({@code tether-agent selftest}).
     *
     * @return the decoded text of a sample response code
     */
    public static String checkLibraries() throws TpmException {
        return libraries().rc().describe(0x99d);
    }

    /** Loads the tpm2-tss libraries once; a missing one is reported each time it is asked for. */
    static synchronized Tss2 libraries() throws TpmException {
        if (loaded == null) {
            Rc rc = Rc.load();
            Mu mu = Mu.load();
            TctiLdr tctiLdr = TctiLdr.load();
            Esys.Lib esys = Esys.load();
            loaded = new Tss2(esys, tctiLdr, mu, rc);
        }
        return loaded;
    }

    /** The four tpm2-tss libraries the store uses. */
    record Tss2(Esys.Lib esys, TctiLdr tctiLdr, Mu mu, Rc rc) {}
}
