package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where an image's root tree comes from. */
public enum Distribution {
    /** debootstrap from a Debian mirror. */
    @JsonProperty("debian") DEBIAN,
    /** debootstrap from an Ubuntu mirror. */
    @JsonProperty("ubuntu") UBUNTU,
    /** dnf --installroot: RHEL, Rocky, Alma, Fedora. */
    @JsonProperty("rhel-family") RHEL_FAMILY,
    /** An OCI container image from a registry (spec.source). */
    @JsonProperty("oci") OCI
}
