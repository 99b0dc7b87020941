package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** How a group of nodes boots: which image, how it is mounted, and the edges that serve it. */
@JsonClassDescription("How a group of nodes boots: which DisklessImage, mounted tethered or untethered, with which writable layer, SSH CA and TPM policy, served by which edges.")
@Group(DisklessImage.GROUP)
@Version(DisklessImage.VERSION)
@ShortNames("np")
@Categories("tether")
@AdditionalPrinterColumn(name = "Image", jsonPath = ".spec.image.name", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Method", jsonPath = ".spec.imageMethod", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Desired Edges", jsonPath = ".status.desiredEdges", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready Edges", jsonPath = ".status.readyEdges", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Digest", jsonPath = ".status.shortDigest", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "On Digest", jsonPath = ".status.nodesOnDigest", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Status", jsonPath = ".status.conditions[?(@.type==\"Ready\")].message", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class NodeProfile extends CustomResource<NodeProfileSpec, NodeProfileStatus> implements Namespaced {
}
