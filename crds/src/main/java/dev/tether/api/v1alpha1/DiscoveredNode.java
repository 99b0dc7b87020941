package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A machine that network-booted from a profile's edges with a MAC no NodeCredential lists, and registered what it
 * reported about itself. Only the operator creates these; an administrator (or the profile's discovery policy)
 * accepts one, and the operator then enrols it as a NodeCredential bound to the TPM it reported.
 */
@JsonClassDescription("A machine that booted from a profile's edges with a MAC no NodeCredential lists, and what it reported about "
        + "itself (nothing of it is verified but the TPM, at key issue). Created by the operator; set spec.accept to true "
        + "(kubectl patch discoverednode NAME --type merge -p '{\"spec\":{\"accept\":true}}') to enrol it as a NodeCredential.")
@Group(DisklessImage.GROUP)
@Version(DisklessImage.VERSION)
@ShortNames("dn")
@Categories("tether")
@AdditionalPrinterColumn(name = "Profile", jsonPath = ".spec.profile", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "MAC", jsonPath = ".spec.hardware.macs[0]", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Accepted", jsonPath = ".spec.accept", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "Enrolled As", jsonPath = ".status.enrolledAs", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Last Seen", jsonPath = ".status.lastSeenAt", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Status", jsonPath = ".status.conditions[?(@.type==\"Ready\")].message", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
public class DiscoveredNode extends CustomResource<DiscoveredNodeSpec, DiscoveredNodeStatus> implements Namespaced {
}
