package dev.tether.operator.trust;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/** PEM text of X.509 certificates and private keys, through BouncyCastle. */
final class Pem {
    private Pem() {}

    /** A certificate, or a private key as PKCS#8 ({@code BEGIN PRIVATE KEY}), which every TLS library reads. */
    static String write(Object object) {
        var text = new StringWriter();
        try (var pem = new JcaPEMWriter(text)) {
            if (object instanceof PrivateKey key) {
                pem.writeObject(new JcaPKCS8Generator(key, null));
            } else {
                pem.writeObject(object);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    static X509Certificate certificate(String pem) {
        Object object = parse(pem);
        if (!(object instanceof X509CertificateHolder holder)) {
            throw new IllegalArgumentException("expected a PEM certificate, found " + describe(object));
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
            throw new IllegalArgumentException("the PEM certificate cannot be read: " + e.getMessage(), e);
        }
    }

    static PrivateKey privateKey(String pem) {
        Object object = parse(pem);
        var converter = new JcaPEMKeyConverter();
        try {
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (object instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("the PEM private key cannot be read", e);
        }
        throw new IllegalArgumentException("expected a PEM private key, found " + describe(object));
    }

    private static Object parse(String pem) {
        try (var parser = new PEMParser(new StringReader(pem))) {
            return parser.readObject();
        } catch (IOException e) {
            // The message of a parse failure could quote key material; say only that it failed.
            throw new IllegalArgumentException("the text is not valid PEM");
        }
    }

    private static String describe(Object object) {
        return object == null ? "nothing" : object.getClass().getSimpleName();
    }
}
