package dev.tether.agent;

import dev.tether.agent.trust.TpmPolicy;
import dev.tether.nodeapi.NodeApiJson;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code /etc/tether/profile.json} from the profile's addon archive (the second initrd the operator serves):
 * public facts about the node's profile. The kernel command line wins where both give a value. Fields this agent does
 * not know (a newer operator's) are skipped ({@link dev.tether.nodeapi.NodeApiJson}).
 *
 * <p>{@code tpmPolicy} must be here, not only in the node API's boot configuration: the boot configuration
 * is fetched with the API key, and how the key is got depends on the policy. An archive without it (an older
 * operator's) means {@code preferred}, the NodeProfile's default.
 */
public record AddonProfile(String namespace, String profile, String method, String image, List<String> edges,
        List<String> nodeApi, String tpmPolicy) {

    public static final Path DEFAULT_PATH = Path.of("/etc/tether/profile.json");

    /** The addon's profile, or empty when the node booted without an addon archive. */
    public static Optional<AddonProfile> read(Path file) throws BootConfigException {
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new BootConfigException("cannot read the addon profile " + file + ": " + e.getMessage(), e);
        }
        try {
            return Optional.of(NodeApiJson.JSON.beanFrom(AddonProfile.class, json));
        } catch (IOException e) {
            throw new BootConfigException("the addon profile " + file + " is not valid JSON (" + firstLine(e.getMessage())
                    + "); the profile's addon archive is damaged: fetch it again from an edge's /boot/<profile>/addon.cpio", e);
        }
    }

    Optional<ImageMethod> imageMethod() {
        return Optional.ofNullable(method).filter(m -> !m.isEmpty()).map(ImageMethod::parse);
    }

    Optional<String> imageDigest() {
        return Optional.ofNullable(image).filter(i -> !i.isEmpty()).map(i -> Digests.requireSha256("image", i));
    }

    TpmPolicy tpmPolicyOrDefault() {
        return tpmPolicy == null || tpmPolicy.isEmpty() ? TpmPolicy.DEFAULT : TpmPolicy.parse(tpmPolicy);
    }

    List<URI> edgeUrls() {
        return urls("edges", edges);
    }

    List<URI> nodeApiUrls() {
        return urls("nodeApi", nodeApi);
    }

    private static List<URI> urls(String field, List<String> values) {
        List<URI> urls = new ArrayList<>();
        for (String value : values == null ? List.<String>of() : values) {
            urls.add(EdgeUrls.parse(field, value));
        }
        return List.copyOf(urls);
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.strip().split("\\R", 2)[0];
    }
}
