package dev.tether.operator.profile;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.nodeapi.NodeApi;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * The per-profile addon archive: a small newc cpio that iPXE loads as a second initrd after the
 * image's initramfs; the kernel unpacks both into one root. It carries only public data: the
 * profile, the edges to read from, the node API's addresses and the cluster CA certificate.
 */
public final class AddonArchive {
    public static final String PROFILE_FILE = "etc/tether/profile.json";
    /** The cluster CA certificate (PEM) that the node API's certificate chains to. */
    public static final String CA_FILE = NodeApi.CA_CERTIFICATE_PATH.substring(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private AddonArchive() {}

    /**
     * @param tpmPolicy the profile's TPM policy: the agent needs it before it has a key, so before it can ask
     *                  the node API for anything
     */
    public static byte[] build(String namespace, String profile, String method, String tpmPolicy, String imageDigest,
                               List<String> edgeUrls, List<String> nodeApiUrls, String caCertificatePem) {
        var profileJson = new LinkedHashMap<String, Object>();
        profileJson.put("namespace", namespace);
        profileJson.put("profile", profile);
        profileJson.put("method", method);
        profileJson.put("tpmPolicy", tpmPolicy);
        profileJson.put("image", imageDigest);
        profileJson.put("edges", edgeUrls);
        profileJson.put("nodeApi", nodeApiUrls);
        try {
            var files = new LinkedHashMap<String, byte[]>();
            files.put(PROFILE_FILE, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(profileJson));
            if (caCertificatePem != null) {
                files.put(CA_FILE, caCertificatePem.getBytes(StandardCharsets.UTF_8));
            }
            return cpio(files);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code required}, {@code preferred} or {@code disabled}, as the CRD spells it. */
    public static String tpmPolicy(NodeProfile profile) {
        var policy = profile.getSpec().tpmPolicy == null ? NodeProfileSpec.TpmPolicy.PREFERRED : profile.getSpec().tpmPolicy;
        return JSON.convertValue(policy, String.class);
    }

    private static byte[] cpio(Map<String, byte[]> files) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var out = new CpioArchiveOutputStream(bytes, CpioConstants.FORMAT_NEW)) {
            for (String dir : List.of("etc", "etc/tether")) {
                var entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, dir);
                entry.setMode(CpioConstants.C_ISDIR | 0755);
                entry.setTime(0);
                out.putArchiveEntry(entry);
                out.closeArchiveEntry();
            }
            for (var file : files.entrySet()) {
                var entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, file.getKey(), file.getValue().length);
                entry.setMode(CpioConstants.C_ISREG | 0644);
                // A fixed time keeps the archive identical for identical content.
                entry.setTime(0);
                out.putArchiveEntry(entry);
                out.write(file.getValue());
                out.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
