package dev.tether.operator.profile;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.contracts.EdgeBootConfig;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The boot files of a profile, mounted into its edges: the boot config (which node is which MAC,
 * which digests to boot) and the addon archive. Public data only; no key is ever in here.
 */
public class BootConfigMap extends CRUDKubernetesDependentResource<ConfigMap, NodeProfile> {
    public static final String BOOT_JSON = EdgeBootConfig.FILE;

    private final String caCertificatePem;

    /** @param caCertificatePem the cluster CA certificate, put into every addon archive */
    public BootConfigMap(String caCertificatePem) {
        super(ConfigMap.class);
        this.caCertificatePem = caCertificatePem;
    }

    @Override
    protected ConfigMap desired(NodeProfile profile, Context<NodeProfile> context) {
        var inputs = ProfileInputs.of(profile, context);
        return build(profile, inputs.image(), inputs.credentials(), inputs.edgeUrls(), inputs.nodeApiUrls(), caCertificatePem);
    }

    public static ConfigMap build(NodeProfile profile, ResolvedImage image, List<NodeCredential> credentials,
                                  List<String> edgeUrls, List<String> nodeApiUrls, String caCertificatePem) {
        String name = profile.getMetadata().getName();
        var labels = new HashMap<>(Names.managedLabels("boot-files"));
        labels.put(Names.PROFILE_LABEL, name);
        byte[] addon = AddonArchive.build(profile.getMetadata().getNamespace(), name, BootJson.method(profile),
                AddonArchive.tpmPolicy(profile), image.ok() ? image.version().digest : null, edgeUrls, nodeApiUrls, caCertificatePem);
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName(Names.bootConfigMap(name))
                .withNamespace(profile.getMetadata().getNamespace())
                .withLabels(labels)
                .endMetadata()
                .withData(Map.of(BOOT_JSON, BootJson.json(profile, image, credentials, edgeUrls)))
                .withBinaryData(Map.of(BootJson.addonFile(name), Base64.getEncoder().encodeToString(addon)))
                .build();
    }
}
