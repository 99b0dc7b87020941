package dev.tether.nodeapi;

import java.util.List;

/**
 * OpenSSH host certificates, one per key sent and in the same order ({@code ssh-ed25519-cert-v01@openssh.com …}),
 * with the CA's public key for {@code @cert-authority} trust.
 */
public record HostCertificates(List<String> certificates, String caPublicKey, List<String> principals,
        String validBefore) {
}
