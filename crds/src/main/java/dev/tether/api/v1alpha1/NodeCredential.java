package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One bare-metal node: who it is, whether it may fetch a new API key, and how it last booted. */
@JsonClassDescription("One bare-metal node: its hardware identity, its profile, whether it may fetch a new API key over the network, and how it last booted. The API key itself is never stored here.")
@Group(DisklessImage.GROUP)
@Version(DisklessImage.VERSION)
@ShortNames("nc")
@Categories("tether")
@AdditionalPrinterColumn(name = "Node", jsonPath = ".spec.nodeName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Profile", jsonPath = ".spec.profile", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Armed", jsonPath = ".status.armed", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "Armed Until", jsonPath = ".spec.armedUntil", type = AdditionalPrinterColumn.Type.DATE, priority = 1)
@AdditionalPrinterColumn(name = "Key", jsonPath = ".status.apiKey.issuedVia", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Last Boot", jsonPath = ".status.lastBoot.bootedAt", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Power", jsonPath = ".status.power.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Digest", jsonPath = ".status.lastBoot.shortDigest", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Status", jsonPath = ".status.conditions[?(@.type==\"Ready\")].message", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE, priority = 1)
public class NodeCredential extends CustomResource<NodeCredentialSpec, NodeCredentialStatus> implements Namespaced {
    /** Set this annotation to a new value to arm a credential again after its {@code once} key was taken. */
    public static final String REARM_ANNOTATION = "tether.dev/rearm";
    /**
     * Set by the operator when its profile's rolling reboot picks this node: the image digest the node is to reboot
     * onto. A value other than {@code status.power.rolloutReboot} asks for one reboot.
     */
    public static final String ROLLOUT_REBOOT_ANNOTATION = "tether.dev/rollout-reboot";
}
