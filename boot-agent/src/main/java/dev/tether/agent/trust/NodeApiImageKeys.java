package dev.tether.agent.trust;

import dev.tether.agent.BootConfig;
import dev.tether.agent.BootConfigException;
import dev.tether.agent.ImageKeyProvider;
import dev.tether.image.format.ImageKey;
import dev.tether.nodeapi.ImageKeyIssued;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/** The image key from the node API ({@code GET image-key?digest=}), released only to nodes whose profile boots that image. */
final class NodeApiImageKeys implements ImageKeyProvider {
    private static final Pattern KEY_HEX = Pattern.compile("[0-9a-fA-F]{" + 2 * ImageKey.LENGTH + "}");

    private final NodeApiClient api;
    private final ApiKey apiKey;

    NodeApiImageKeys(NodeApiClient api, ApiKey apiKey) {
        this.api = api;
        this.apiKey = apiKey;
    }

    @Override
    public Optional<ImageKey> imageKey(BootConfig config) throws IOException, BootConfigException {
        String digest = config.image().orElseThrow(() -> new BootConfigException("the node API gives image keys by"
                + " image digest, and only the root image's digest (tether.rootimage=) is known; give tether.image= too"));
        ImageKeyIssued answer;
        try {
            answer = api.imageKey(apiKey, digest);
        } catch (NodeApiRefusal refusal) {
            throw new BootConfigException(switch (refusal.code()) {
                case "NotThisNodesImage" -> "the node API will not give " + api.credential() + " the key of image "
                        + digest + ": the node's profile does not boot it; check tether.image= and the NodeProfile's image"
                        + refusal.serverSuffix();
                case "UnknownVersion" -> "the operator knows no version " + digest + " of the profile's image (not built"
                        + " yet, or garbage-collected); check the DisklessImage's status" + refusal.serverSuffix();
                default -> NodeTrust.refusalLine(refusal, api);
            }, refusal);
        }
        if (answer.digest() != null && !answer.digest().equals(digest)) {
            throw new IOException("the node API answered with the key of " + NodeApiRefusal.clean(answer.digest())
                    + " when asked for " + digest);
        }
        if (answer.keyHex() == null || !KEY_HEX.matcher(answer.keyHex()).matches()) {
            throw new IOException("the node API's image key for " + digest + " is not " + 2 * ImageKey.LENGTH + " hex digits");
        }
        byte[] bytes = HexFormat.of().parseHex(answer.keyHex());
        ImageKey key;
        try {
            key = ImageKey.of(bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        if (answer.keyId() != null && !answer.keyId().equalsIgnoreCase(key.keyIdHex())) {
            throw new IOException("the node API's image key for " + digest + " does not have the key id it names ("
                    + NodeApiRefusal.clean(answer.keyId()) + ", the key's is " + key.keyIdHex() + ")");
        }
        return Optional.of(key);
    }
}
