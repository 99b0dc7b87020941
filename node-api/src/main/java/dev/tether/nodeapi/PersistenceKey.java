package dev.tether.nodeapi;

/**
 * What a node needs to restore and save its kept paths ({@code GET persistence-key}, API key only).
 *
 * @param keyHex              the node's archive key: 64 hex digits, the same at every boot (the operator keeps it in a
 *                            Secret owned by the NodeCredential)
 * @param generation          the generation of the archive stored (0: none yet); a node restores only an archive sealed
 *                            for exactly this generation, so an older one served in its place is refused
 * @param maxBytes            the largest archive the operator stores for this node
 * @param saveIntervalSeconds how often the running node saves when its paths changed
 * @param token               authenticates {@link NodeApi#PERSISTENCE} for this boot only (a new boot gets a new one), so the
 *                            node's own saver needs no API key
 */
public record PersistenceKey(String keyHex, long generation, long maxBytes, long saveIntervalSeconds, String token) {
    @Override
    public String toString() {
        return "PersistenceKey[generation=" + generation + ", maxBytes=" + maxBytes + ", saveIntervalSeconds="
                + saveIntervalSeconds + ", key=(redacted), token=(redacted)]";
    }
}
