package dev.tether.tpm;

import static dev.tether.tpm.Esys.TR_NONE;
import static dev.tether.tpm.Esys.TR_PASSWORD;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link TpmIdentity} on a TPM 2.0 through Esys, on the store's connection. The EK is created from the endorsement
 * seed with template L-1 (the same key every time, the one the manufacturer's or swtpm's EK certificate names); the
 * activation key is the owner hierarchy's storage key. Both are transient and flushed on {@link #close()}.
 *
 * <p>{@code TPM2_ActivateCredential} needs the activation key's authorization (ADMIN role; its empty password) and the
 * EK's (USER role; the EK has no userWithAuth, so a policy session satisfying its authPolicy,
 * PolicySecret(TPM_RH_ENDORSEMENT)). That session is salted with the storage key and encrypts the response, so the
 * recovered credential crosses the bus encrypted.
 */
final class Tpm2Identity implements TpmIdentity {
    private final Tpm2.Tss2 tss;
    private final Esys.Lib esys;
    private final Pointer ctx;
    private int storageKey;
    private int ek;
    private final EndorsementKey endorsementKey;
    private final ActivationKey activationKey;

    private Tpm2Identity(Tpm2.Tss2 tss, Pointer ctx, int storageKey, int ek, EndorsementKey endorsementKey,
            ActivationKey activationKey) {
        this.tss = tss;
        this.esys = tss.esys();
        this.ctx = ctx;
        this.storageKey = storageKey;
        this.ek = ek;
        this.endorsementKey = endorsementKey;
        this.activationKey = activationKey;
    }

    static Tpm2Identity open(Tpm2.Tss2 tss, Pointer ctx) throws TpmException {
        int storageKey = TR_NONE;
        int ek = TR_NONE;
        try {
            Primary srk = createPrimary(tss, ctx, Esys.TR_RH_OWNER, TpmStructures.storageKeyTemplate(), "storage key, owner hierarchy");
            storageKey = srk.handle();
            Primary endorsement = createPrimary(tss, ctx, Esys.TR_RH_ENDORSEMENT, EndorsementKey.template(),
                    "endorsement key, TCG template L-1");
            ek = endorsement.handle();
            return new Tpm2Identity(tss, ctx, storageKey, ek, EndorsementKey.parse(endorsement.tpm2bPublic()),
                    ActivationKey.parse(srk.tpm2bPublic()));
        } catch (TpmException | RuntimeException e) {
            flush(tss, ctx, ek);
            flush(tss, ctx, storageKey);
            throw e;
        }
    }

    @Override
    public EndorsementKey endorsementKey() {
        return endorsementKey;
    }

    @Override
    public ActivationKey activationKey() {
        return activationKey;
    }

    @Override
    public byte[] activateCredential(byte[] credentialBlob, byte[] encryptedSecret) throws TpmException {
        List<Memory> inputs = new ArrayList<>();
        IntByReference session = new IntByReference(TR_NONE);
        PointerByReference certInfo = new PointerByReference();
        try {
            Memory symmetric = in(inputs, Mu.Type.TPMT_SYM_DEF, TpmStructures.symAes128Cfb());
            check(esys.Esys_StartAuthSession(ctx, storageKey, TR_NONE, TR_NONE, TR_NONE, TR_NONE, null, Esys.SE_POLICY,
                    symmetric, (short) TpmStructures.ALG_SHA256, session), "Esys_StartAuthSession (policy, salted)");
            check(esys.Esys_PolicySecret(ctx, Esys.TR_RH_ENDORSEMENT, session.getValue(), TR_PASSWORD, TR_NONE, TR_NONE,
                    in(inputs, Mu.Type.TPM2B_DIGEST, TpmStructures.emptyTpm2b()),
                    in(inputs, Mu.Type.TPM2B_DIGEST, TpmStructures.emptyTpm2b()),
                    in(inputs, Mu.Type.TPM2B_DIGEST, TpmStructures.emptyTpm2b()), 0, null, null),
                    "Esys_PolicySecret(TPM_RH_ENDORSEMENT)");
            byte flags = (byte) (Esys.SESSION_ENCRYPT | Esys.SESSION_CONTINUE);
            check(esys.Esys_TRSess_SetAttributes(ctx, session.getValue(), flags, flags), "Esys_TRSess_SetAttributes");
            check(esys.Esys_ActivateCredential(ctx, storageKey, ek, TR_PASSWORD, session.getValue(), TR_NONE,
                    in(inputs, Mu.Type.TPM2B_ID_OBJECT, credentialBlob),
                    in(inputs, Mu.Type.TPM2B_ENCRYPTED_SECRET, encryptedSecret), certInfo),
                    "Esys_ActivateCredential");
            byte[] wire = tss.mu().fromNative(Mu.Type.TPM2B_DIGEST, certInfo.getValue());
            try {
                return new WireReader(wire).tpm2b();
            } finally {
                Arrays.fill(wire, (byte) 0);
            }
        } finally {
            Pointer out = certInfo.getValue();
            if (out != null) {
                out.setMemory(0, Mu.Type.TPM2B_DIGEST.size, (byte) 0);
                esys.Esys_Free(out);
            }
            flush(tss, ctx, session.getValue());
            inputs.forEach(Mu::wipe);
        }
    }

    @Override
    public void close() {
        flush(tss, ctx, ek);
        flush(tss, ctx, storageKey);
        ek = TR_NONE;
        storageKey = TR_NONE;
    }

    private record Primary(int handle, byte[] tpm2bPublic) {}

    private static Primary createPrimary(Tpm2.Tss2 tss, Pointer ctx, int hierarchy, byte[] template, String what)
            throws TpmException {
        List<Memory> inputs = new ArrayList<>();
        IntByReference handle = new IntByReference(TR_NONE);
        PointerByReference outPublic = new PointerByReference();
        try {
            int rc = tss.esys().Esys_CreatePrimary(ctx, hierarchy, TR_PASSWORD, TR_NONE, TR_NONE,
                    in(tss, inputs, Mu.Type.TPM2B_SENSITIVE_CREATE, TpmStructures.sensitiveCreate(new byte[0])),
                    in(tss, inputs, Mu.Type.TPM2B_PUBLIC, template),
                    in(tss, inputs, Mu.Type.TPM2B_DATA, TpmStructures.emptyTpm2b()),
                    in(tss, inputs, Mu.Type.TPML_PCR_SELECTION, TpmStructures.noPcrSelection()),
                    handle, outPublic, null, null, null);
            if (rc != 0) {
                throw new TpmException("Esys_CreatePrimary (" + what + ") failed: " + tss.rc().describe(rc));
            }
            return new Primary(handle.getValue(), tss.mu().fromNative(Mu.Type.TPM2B_PUBLIC, outPublic.getValue()));
        } catch (TpmException | RuntimeException e) {
            flush(tss, ctx, handle.getValue());
            throw e;
        } finally {
            if (outPublic.getValue() != null) {
                tss.esys().Esys_Free(outPublic.getValue());
            }
            inputs.forEach(Mu::wipe);
        }
    }

    private Memory in(List<Memory> inputs, Mu.Type type, byte[] wire) throws TpmException {
        return in(tss, inputs, type, wire);
    }

    private static Memory in(Tpm2.Tss2 tss, List<Memory> inputs, Mu.Type type, byte[] wire) throws TpmException {
        Memory m = tss.mu().toNative(type, wire);
        inputs.add(m);
        return m;
    }

    private static void flush(Tpm2.Tss2 tss, Pointer ctx, int handle) {
        if (handle != TR_NONE) {
            tss.esys().Esys_FlushContext(ctx, handle);
        }
    }

    private void check(int rc, String what) throws TpmException {
        if (rc != 0) {
            throw new TpmException(what + " failed: " + tss.rc().describe(rc));
        }
    }
}
