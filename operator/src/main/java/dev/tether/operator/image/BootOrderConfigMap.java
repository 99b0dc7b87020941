package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The image's boot order: the files the first recorded tethered boot of one of its versions read, one absolute path
 * per line in first-read order, in ConfigMap {@code <image>-boot-order}, owned by the image. The first a node reports
 * is kept and never replaced by a node: the first boot of a version is its coldest, the one a re-pack is for, and a
 * node that reports later (or lies) cannot move what others fetch. An administrator deletes the ConfigMap to have the
 * next boot recorded again. File names of an encrypted image are its contents: the ConfigMap stays in the image's
 * namespace and is never served to edges.
 */
public final class BootOrderConfigMap {
    public static final String COMPONENT = "boot-order";
    public static final String FILES_KEY = "files";
    static final String FROM_DIGEST = "tether.dev/boot-order-from-digest";
    static final String NODE = "tether.dev/boot-order-node";
    static final String RECORDED_AT = "tether.dev/boot-order-recorded-at";
    static final String FILE_COUNT = "tether.dev/boot-order-files";
    /** Where the builder finds the list: {@code imgutil run-spec --boot-order}. */
    static final String MOUNT_DIR = "/etc/tether/boot-order";

    private BootOrderConfigMap() {
    }

    public static ConfigMap desired(DisklessImage image, String fromDigest, String node, List<String> paths, Instant now) {
        var metadata = image.getMetadata();
        var labels = new HashMap<>(Names.managedLabels(COMPONENT));
        labels.put(Names.IMAGE_LABEL, metadata.getName());
        ConfigMap configMap = new ConfigMapBuilder()
                .withNewMetadata()
                .withName(Names.bootOrderConfigMap(metadata.getName()))
                .withNamespace(metadata.getNamespace())
                .withLabels(labels)
                .withAnnotations(Map.of(FROM_DIGEST, fromDigest, NODE, node,
                        RECORDED_AT, now.truncatedTo(ChronoUnit.SECONDS).toString(), FILE_COUNT, Integer.toString(paths.size())))
                .endMetadata()
                .withData(Map.of(FILES_KEY, String.join("\n", paths) + "\n"))
                .build();
        configMap.addOwnerReference(image);
        return configMap;
    }

    /**
     * Keeps {@code paths} as the image's boot order unless it has one.
     *
     * @return true when kept, false when the image already had one
     */
    public static boolean keepFirst(KubernetesClient client, DisklessImage image, String fromDigest, String node,
            List<String> paths, Instant now) {
        var metadata = image.getMetadata();
        if (client.configMaps().inNamespace(metadata.getNamespace()).withName(Names.bootOrderConfigMap(metadata.getName()))
                .get() != null) {
            return false;
        }
        try {
            client.resource(desired(image, fromDigest, node, paths, now)).create();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                // Another node's list was kept a moment before: the first wins.
                return false;
            }
            throw e;
        }
    }

    /** What status says of the kept boot order, or null when the image has none. */
    public static DisklessImageStatus.BootOrder describe(ConfigMap configMap) {
        if (configMap == null || configMap.getMetadata().getAnnotations() == null) {
            return null;
        }
        var annotations = configMap.getMetadata().getAnnotations();
        var bootOrder = new DisklessImageStatus.BootOrder();
        bootOrder.configMap = configMap.getMetadata().getName();
        bootOrder.fromDigest = annotations.get(FROM_DIGEST);
        bootOrder.node = annotations.get(NODE);
        bootOrder.recordedAt = annotations.get(RECORDED_AT);
        try {
            bootOrder.files = Long.parseLong(annotations.getOrDefault(FILE_COUNT, ""));
        } catch (NumberFormatException e) {
            bootOrder.files = null;
        }
        return bootOrder;
    }

    /**
     * The builder's input: the ConfigMap mounted as an optional volume (a build before any boot finds no file and
     * packs in mksquashfs's own order) and {@code --boot-order} pointing into it.
     */
    static void addTo(DisklessImage image, List<String> command, List<Volume> volumes, List<VolumeMount> mounts) {
        command.addAll(List.of("--boot-order", MOUNT_DIR + "/" + FILES_KEY));
        volumes.add(new VolumeBuilder().withName("boot-order").withNewConfigMap()
                .withName(Names.bootOrderConfigMap(image.getMetadata().getName())).withOptional(true).endConfigMap().build());
        mounts.add(new VolumeMountBuilder().withName("boot-order").withMountPath(MOUNT_DIR).withReadOnly(true).build());
    }
}
