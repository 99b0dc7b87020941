package dev.tether.tpm;

import static dev.tether.tpm.Esys.TR_NONE;
import static dev.tether.tpm.Esys.TR_PASSWORD;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.ByteByReference;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The sealed-secret store on a TPM 2.0 through Esys: a keyed-hash object under a PCR 15 policy, persistent at
 * {@link Tpm2#PERSISTENT_HANDLE}. Not thread-safe beyond its own methods being synchronized; one per boot.
 */
final class Tpm2Store implements SealedSecretStore {
    private final Tpm2.Tss2 tss;
    private final Esys.Lib esys;
    private Pointer tcti;
    private Pointer ctx;
    private boolean locked;

    private Tpm2Store(Tpm2.Tss2 tss, Pointer tcti, Pointer ctx) {
        this.tss = tss;
        this.esys = tss.esys();
        this.tcti = tcti;
        this.ctx = ctx;
    }

    static Tpm2Store open(Tpm2.Tss2 tss, String tctiConfig) throws TpmException {
        Pointer tcti = tss.tctiLdr().open(tctiConfig, tss.rc());
        PointerByReference ctx = new PointerByReference();
        int rc = tss.esys().Esys_Initialize(ctx, tcti, new Esys.AbiVersion());
        if (rc != 0) {
            tss.tctiLdr().close(tcti);
            throw new TpmException("Esys_Initialize on TCTI '" + tctiConfig + "' failed: " + tss.rc().describe(rc));
        }
        return new Tpm2Store(tss, tcti, ctx.getValue());
    }

    @Override
    public synchronized Optional<byte[]> unseal() throws TpmException {
        requireOpen();
        try (Scratch s = new Scratch()) {
            if (!persisted()) {
                return Optional.empty();
            }
            IntByReference object = new IntByReference();
            check(esys.Esys_TR_FromTPMPublic(ctx, Tpm2.PERSISTENT_HANDLE, TR_NONE, TR_NONE, TR_NONE, object),
                    "Esys_TR_FromTPMPublic(0x81010015)");
            s.closeLater(object.getValue());

            // The session is salted with a storage key so that the secret crosses the bus encrypted
            // (response parameter encryption); a passive listener on an LPC/SPI bus learns nothing.
            int primary = s.flushLater(createStorageKey(s));
            int session = s.flushLater(startSession(s, primary, Esys.SE_POLICY));
            check(esys.Esys_PolicyPCR(ctx, session, TR_NONE, TR_NONE, TR_NONE,
                    s.in(Mu.Type.TPM2B_DIGEST, TpmStructures.emptyTpm2b()),
                    s.in(Mu.Type.TPML_PCR_SELECTION, TpmStructures.pcrSelection())), "Esys_PolicyPCR(sha256:15)");
            setAttributes(session, Esys.SESSION_ENCRYPT);

            PointerByReference outData = s.out(Mu.Type.TPM2B_SENSITIVE_DATA);
            int rc = esys.Esys_Unseal(ctx, object.getValue(), session, TR_NONE, TR_NONE, outData);
            if (isPolicyMismatch(rc)) {
                return Optional.empty(); // PCR 15 is not what the secret was sealed to: locked in this boot
            }
            check(rc, "Esys_Unseal");
            byte[] wire = tss.mu().fromNative(Mu.Type.TPM2B_SENSITIVE_DATA, outData.getValue());
            try {
                return Optional.of(new WireReader(wire).tpm2b());
            } finally {
                Arrays.fill(wire, (byte) 0);
            }
        }
    }

    @Override
    public synchronized void seal(byte[] secret) throws TpmException {
        requireOpen();
        if (secret == null || secret.length == 0 || secret.length > Tpm2.MAX_SECRET_BYTES) {
            throw new IllegalArgumentException("A sealed secret has 1 to " + Tpm2.MAX_SECRET_BYTES + " bytes, not "
                    + (secret == null ? "null" : secret.length));
        }
        if (locked) {
            // Sealing now would bind the secret to the extended PCR 15, which no later boot reproduces.
            throw new TpmException("Cannot seal after lock(): PCR 15 is already extended in this boot");
        }
        try (Scratch s = new Scratch()) {
            int primary = s.flushLater(createStorageKey(s));
            byte[] policy = trialPolicy(s);

            // A salted HMAC session with command parameter encryption: the secret crosses the bus encrypted.
            int session = s.flushLater(startSession(s, primary, Esys.SE_HMAC));
            setAttributes(session, Esys.SESSION_DECRYPT);
            byte[] sensitive = TpmStructures.sensitiveCreate(secret);
            Pointer inSensitive;
            try {
                inSensitive = s.in(Mu.Type.TPM2B_SENSITIVE_CREATE, sensitive);
            } finally {
                Arrays.fill(sensitive, (byte) 0);
            }
            PointerByReference outPrivate = s.out(Mu.Type.TPM2B_PRIVATE);
            PointerByReference outPublic = s.out(Mu.Type.TPM2B_PUBLIC);
            check(esys.Esys_Create(ctx, primary, session, TR_NONE, TR_NONE, inSensitive,
                    s.in(Mu.Type.TPM2B_PUBLIC, TpmStructures.sealedObjectTemplate(policy)),
                    s.in(Mu.Type.TPM2B_DATA, TpmStructures.emptyTpm2b()),
                    s.in(Mu.Type.TPML_PCR_SELECTION, TpmStructures.noPcrSelection()),
                    outPrivate, outPublic, null, null, null), "Esys_Create (sealed object)");

            IntByReference loaded = new IntByReference();
            check(esys.Esys_Load(ctx, primary, TR_PASSWORD, TR_NONE, TR_NONE, outPrivate.getValue(),
                    outPublic.getValue(), loaded), "Esys_Load (sealed object)");
            int object = s.flushLater(loaded.getValue());

            // Only now, with the new object ready, remove the old one: a failure above keeps the old secret.
            evictPersisted(s);
            IntByReference persistent = new IntByReference(TR_NONE);
            check(esys.Esys_EvictControl(ctx, Esys.TR_RH_OWNER, object, TR_PASSWORD, TR_NONE, TR_NONE,
                    Tpm2.PERSISTENT_HANDLE, persistent), "Esys_EvictControl (persist at 0x81010015)");
            s.closeLater(persistent.getValue());
        }
    }

    @Override
    public synchronized Optional<TpmIdentity> identity() throws TpmException {
        requireOpen();
        return Optional.of(Tpm2Identity.open(tss, ctx));
    }

    @Override
    public synchronized void lock() throws TpmException {
        requireOpen();
        try (Scratch s = new Scratch()) {
            check(esys.Esys_PCR_Extend(ctx, Esys.TR_PCR0 + TpmStructures.PCR, TR_PASSWORD, TR_NONE, TR_NONE,
                    s.in(Mu.Type.TPML_DIGEST_VALUES, TpmStructures.sha256DigestValues(TpmStructures.LOCK_DIGEST))),
                    "Esys_PCR_Extend(sha256:15)");
        }
        locked = true;
    }

    @Override
    public synchronized void close() {
        if (ctx != null) {
            esys.Esys_Finalize(new PointerByReference(ctx));
            ctx = null;
        }
        if (tcti != null) {
            tss.tctiLdr().close(tcti);
            tcti = null;
        }
    }

    /** Whether a persistent object is at our handle: asked, not tried, so an empty TPM logs no Esys errors. */
    private boolean persisted() throws TpmException {
        try (Scratch s = new Scratch()) {
            PointerByReference data = s.out(Mu.Type.TPMS_CAPABILITY_DATA);
            check(esys.Esys_GetCapability(ctx, TR_NONE, TR_NONE, TR_NONE, Esys.CAP_HANDLES, Tpm2.PERSISTENT_HANDLE, 1,
                    new ByteByReference(), data), "Esys_GetCapability(handles)");
            WireReader r = new WireReader(tss.mu().fromNative(Mu.Type.TPMS_CAPABILITY_DATA, data.getValue()));
            r.u32(); // capability
            for (int n = r.u32(); n > 0; n--) {
                if (r.u32() == Tpm2.PERSISTENT_HANDLE) {
                    return true;
                }
            }
            return false;
        }
    }

    private void evictPersisted(Scratch s) throws TpmException {
        if (!persisted()) {
            return;
        }
        IntByReference old = new IntByReference();
        check(esys.Esys_TR_FromTPMPublic(ctx, Tpm2.PERSISTENT_HANDLE, TR_NONE, TR_NONE, TR_NONE, old),
                "Esys_TR_FromTPMPublic(0x81010015)");
        s.closeLater(old.getValue());
        IntByReference none = new IntByReference();
        check(esys.Esys_EvictControl(ctx, Esys.TR_RH_OWNER, old.getValue(), TR_PASSWORD, TR_NONE, TR_NONE,
                Tpm2.PERSISTENT_HANDLE, none), "Esys_EvictControl (remove the old object at 0x81010015)");
    }

    /** The storage key, created afresh under the owner hierarchy (same template, same key) and never persisted. */
    private int createStorageKey(Scratch s) throws TpmException {
        IntByReference handle = new IntByReference();
        check(esys.Esys_CreatePrimary(ctx, Esys.TR_RH_OWNER, TR_PASSWORD, TR_NONE, TR_NONE,
                s.in(Mu.Type.TPM2B_SENSITIVE_CREATE, TpmStructures.sensitiveCreate(new byte[0])),
                s.in(Mu.Type.TPM2B_PUBLIC, TpmStructures.storageKeyTemplate()),
                s.in(Mu.Type.TPM2B_DATA, TpmStructures.emptyTpm2b()),
                s.in(Mu.Type.TPML_PCR_SELECTION, TpmStructures.noPcrSelection()),
                handle, null, null, null, null), "Esys_CreatePrimary (storage key, owner hierarchy)");
        return handle.getValue();
    }

    /** A session salted with {@code tpmKey}, AES-128-CFB parameter encryption, sha256. */
    private int startSession(Scratch s, int tpmKey, byte type) throws TpmException {
        IntByReference session = new IntByReference();
        check(esys.Esys_StartAuthSession(ctx, tpmKey, TR_NONE, TR_NONE, TR_NONE, TR_NONE, null, type,
                s.in(Mu.Type.TPMT_SYM_DEF, TpmStructures.symAes128Cfb()), (short) TpmStructures.ALG_SHA256, session),
                "Esys_StartAuthSession");
        return session.getValue();
    }

    private void setAttributes(int session, byte encryption) throws TpmException {
        byte flags = (byte) (encryption | Esys.SESSION_CONTINUE);
        check(esys.Esys_TRSess_SetAttributes(ctx, session, flags, flags), "Esys_TRSess_SetAttributes");
    }

    /** The PolicyPCR(sha256:15) digest for the current value of PCR 15, computed by the TPM in a trial session. */
    private byte[] trialPolicy(Scratch s) throws TpmException {
        IntByReference trial = new IntByReference();
        check(esys.Esys_StartAuthSession(ctx, TR_NONE, TR_NONE, TR_NONE, TR_NONE, TR_NONE, null, Esys.SE_TRIAL,
                s.in(Mu.Type.TPMT_SYM_DEF, TpmStructures.symNull()), (short) TpmStructures.ALG_SHA256, trial),
                "Esys_StartAuthSession (trial)");
        s.flushLater(trial.getValue());
        check(esys.Esys_PolicyPCR(ctx, trial.getValue(), TR_NONE, TR_NONE, TR_NONE,
                s.in(Mu.Type.TPM2B_DIGEST, TpmStructures.emptyTpm2b()),
                s.in(Mu.Type.TPML_PCR_SELECTION, TpmStructures.pcrSelection())), "Esys_PolicyPCR (trial)");
        PointerByReference digest = s.out(Mu.Type.TPM2B_DIGEST);
        check(esys.Esys_PolicyGetDigest(ctx, trial.getValue(), TR_NONE, TR_NONE, TR_NONE, digest),
                "Esys_PolicyGetDigest");
        return new WireReader(tss.mu().fromNative(Mu.Type.TPM2B_DIGEST, digest.getValue())).tpm2b();
    }

    /**
     * TPM_RC_POLICY_FAIL (format 1, any session number): the PCR values differ from the sealed policy;
     * TPM_RC_PCR_CHANGED: PCR 15 moved between PolicyPCR and Unseal. Both mean "locked", not "broken".
     */
    static boolean isPolicyMismatch(int rc) {
        boolean tpmLayer = (rc & 0xffff0000) == 0;
        boolean policyFail = (rc & 0x80) != 0 && (rc & 0x3f) == 0x1d;
        return tpmLayer && (policyFail || rc == 0x128);
    }

    private void check(int rc, String what) throws TpmException {
        if (rc != 0) {
            throw new TpmException(what + " failed: " + tss.rc().describe(rc));
        }
    }

    private void requireOpen() throws TpmException {
        if (ctx == null) {
            throw new TpmException("The TPM store is closed");
        }
    }

    /**
     * Native memory and TPM handles of one operation, released in reverse order when it ends, whatever happens:
     * input structures are wiped, Esys outputs wiped and freed, transient objects and sessions flushed, and
     * Esys's records of persistent objects closed. Release errors are ignored: a transient object left behind
     * dies with the connection (the kernel's resource manager flushes it) or at the next TPM reset.
     */
    private final class Scratch implements AutoCloseable {
        private final List<Memory> inputs = new ArrayList<>();
        private final List<PointerByReference> outputs = new ArrayList<>();
        private final List<Mu.Type> outputTypes = new ArrayList<>();
        private final Deque<Runnable> handles = new ArrayDeque<>();

        Pointer in(Mu.Type type, byte[] wire) throws TpmException {
            Memory m = tss.mu().toNative(type, wire);
            inputs.add(m);
            return m;
        }

        PointerByReference out(Mu.Type type) {
            PointerByReference ref = new PointerByReference();
            outputs.add(ref);
            outputTypes.add(type);
            return ref;
        }

        int flushLater(int handle) {
            handles.push(() -> esys.Esys_FlushContext(ctx, handle));
            return handle;
        }

        void closeLater(int handle) {
            if (handle != TR_NONE) {
                handles.push(() -> esys.Esys_TR_Close(ctx, new IntByReference(handle)));
            }
        }

        @Override
        public void close() {
            while (!handles.isEmpty()) {
                handles.pop().run();
            }
            for (int i = 0; i < outputs.size(); i++) {
                Pointer p = outputs.get(i).getValue();
                if (p != null) {
                    p.setMemory(0, outputTypes.get(i).size, (byte) 0);
                    esys.Esys_Free(p);
                }
            }
            inputs.forEach(Mu::wipe);
        }
    }
}
