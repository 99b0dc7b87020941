package dev.tether.content.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 is required of every JDK; this only hides the checked exception. */
public final class Sha256 {
    private Sha256() {
    }

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }
}
