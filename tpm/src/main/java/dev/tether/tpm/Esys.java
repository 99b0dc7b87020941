package dev.tether.tpm;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.ByteByReference;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * libtss2-esys: the enhanced system API, the layer that handles sessions, HMACs and parameter encryption.
 * Structure arguments are native memory filled by {@link Mu}; outputs are Esys-allocated and go back
 * through {@link Mu} before {@link Lib#Esys_Free}. Only the calls Tether needs are bound.
 */
final class Esys {
    static final String SONAME = "libtss2-esys.so.0";
    static final String PACKAGE = "libtss2-esys-3.0.2-0";

    // ESYS_TR values from tss2_esys.h.
    static final int TR_NONE = 0xfff;
    static final int TR_PASSWORD = 0x0ff;
    static final int TR_RH_OWNER = 0x101;
    static final int TR_RH_ENDORSEMENT = 0x10B;
    static final int TR_PCR0 = 0;

    // TPM2_SE and TPMA_SESSION.
    static final byte SE_HMAC = 0x00;
    static final byte SE_POLICY = 0x01;
    static final byte SE_TRIAL = 0x03;
    static final byte SESSION_CONTINUE = 0x01;
    static final byte SESSION_DECRYPT = 0x20;
    static final byte SESSION_ENCRYPT = 0x40;

    static final int CAP_HANDLES = 0x00000001;

    /** TSS2_ABI_VERSION_CURRENT of tpm2-tss 3.x; Esys_Initialize refuses a library with another ABI. */
    @Structure.FieldOrder({"tssCreator", "tssFamily", "tssLevel", "tssVersion"})
    public static final class AbiVersion extends Structure {
        public int tssCreator = 1;
        public int tssFamily = 2;
        public int tssLevel = 1;
        public int tssVersion = 108;
    }

    interface Lib extends Library {
        int Esys_Initialize(PointerByReference esysContext, Pointer tcti, AbiVersion abiVersion);

        void Esys_Finalize(PointerByReference esysContext);

        void Esys_Free(Pointer ptr);

        int Esys_TR_FromTPMPublic(Pointer ctx, int tpmHandle, int sh1, int sh2, int sh3, IntByReference object);

        int Esys_TR_Close(Pointer ctx, IntByReference handle);

        int Esys_TRSess_SetAttributes(Pointer ctx, int session, byte flags, byte mask);

        int Esys_FlushContext(Pointer ctx, int handle);

        int Esys_GetCapability(Pointer ctx, int sh1, int sh2, int sh3, int capability, int property, int count,
                ByteByReference moreData, PointerByReference capabilityData);

        int Esys_StartAuthSession(Pointer ctx, int tpmKey, int bind, int sh1, int sh2, int sh3, Pointer nonceCaller,
                byte sessionType, Pointer symmetric, short authHash, IntByReference session);

        int Esys_PolicyPCR(Pointer ctx, int session, int sh1, int sh2, int sh3, Pointer pcrDigest, Pointer pcrs);

        int Esys_PolicyGetDigest(Pointer ctx, int session, int sh1, int sh2, int sh3, PointerByReference digest);

        int Esys_CreatePrimary(Pointer ctx, int primaryHandle, int sh1, int sh2, int sh3, Pointer inSensitive,
                Pointer inPublic, Pointer outsideInfo, Pointer creationPcr, IntByReference objectHandle,
                PointerByReference outPublic, PointerByReference creationData, PointerByReference creationHash,
                PointerByReference creationTicket);

        int Esys_Create(Pointer ctx, int parentHandle, int sh1, int sh2, int sh3, Pointer inSensitive,
                Pointer inPublic, Pointer outsideInfo, Pointer creationPcr, PointerByReference outPrivate,
                PointerByReference outPublic, PointerByReference creationData, PointerByReference creationHash,
                PointerByReference creationTicket);

        int Esys_Load(Pointer ctx, int parentHandle, int sh1, int sh2, int sh3, Pointer inPrivate, Pointer inPublic,
                IntByReference objectHandle);

        int Esys_EvictControl(Pointer ctx, int auth, int objectHandle, int sh1, int sh2, int sh3,
                int persistentHandle, IntByReference newObjectHandle);

        int Esys_Unseal(Pointer ctx, int itemHandle, int sh1, int sh2, int sh3, PointerByReference outData);

        int Esys_PolicySecret(Pointer ctx, int authHandle, int policySession, int sh1, int sh2, int sh3, Pointer nonceTpm,
                Pointer cpHashA, Pointer policyRef, int expiration, PointerByReference timeout,
                PointerByReference policyTicket);

        int Esys_ActivateCredential(Pointer ctx, int activateHandle, int keyHandle, int sh1, int sh2, int sh3,
                Pointer credentialBlob, Pointer secret, PointerByReference certInfo);

        int Esys_PCR_Extend(Pointer ctx, int pcrHandle, int sh1, int sh2, int sh3, Pointer digests);
    }

    static Lib load() throws TpmException {
        return NativeLibraries.load(SONAME, PACKAGE, Lib.class);
    }

    private Esys() {}
}
