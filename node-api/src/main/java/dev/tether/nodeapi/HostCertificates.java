package dev.tether.nodeapi;

import java.util.List;

/**
 * OpenSSH host certificates, one per key sent and in the same order ({@code ssh-ed25519-cert-v01@openssh.com …}),
 * with the CA's public key for {@code @cert-authority} trust, and the known_hosts host patterns that trust is for:
 * the names and addresses the operator's principal policy lets the CA certify, never every host.
 */
public record HostCertificates(List<String> certificates, String caPublicKey, List<String> principals,
        String validBefore, List<String> knownHostsPatterns) {
}
