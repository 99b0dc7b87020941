package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What to build. Every change to it builds a new, immutable image version. */
@JsonClassDescription("What to build. Every change to it builds a new, immutable image version.")
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.distribution == 'oci' ? has(self.source) : has(self.release)",
        message = "debian, ubuntu and rhel-family images need a release; oci images need source.image")
@ValidationRule(value = "!has(self.source) || self.distribution == 'oci'",
        message = "source is only used with distribution: oci")
@ValidationRule(value = "self.distribution != 'oci' || !has(self.repositories) || size(self.repositories) == 0",
        message = "oci images use the image's own package sources; add repositories with a step")
@ValidationRule(value = "!has(self.steps) || self.steps.all(a, self.steps.exists_one(b, b.name == a.name))",
        message = "step names must be unique")
public class DisklessImageSpec {
    @JsonPropertyDescription("How the root is made: debian or ubuntu (debootstrap), rhel (dnf --installroot, for the RHEL family) or "
            + "oci (a root filesystem tarball).")
    @Required
    public Distribution distribution;

    @JsonPropertyDescription("Distribution release: a Debian/Ubuntu suite (bookworm, noble) or a RHEL-family version (9).")
    @Pattern("^[a-z0-9][a-z0-9._-]*$")
    @Size(max = 63)
    public String release;

    @JsonPropertyDescription("For distribution oci: the container image the tree is unpacked from.")
    public OciSource source;

    @JsonPropertyDescription("CPU architecture of the image: amd64 or arm64.")
    @Default("amd64")
    public Architecture architecture = Architecture.AMD64;

    @JsonPropertyDescription("Packages installed on top of the minimal system. A kernel and the initramfs tools always are.")
    @Size(max = 1000)
    public List<@Pattern("^[a-zA-Z0-9][a-zA-Z0-9+.:~_-]*$") String> packages = new ArrayList<>();

    @JsonPropertyDescription("Package repositories added to the distribution's own.")
    @Size(max = 32)
    public List<Repository> repositories = new ArrayList<>();

    @JsonPropertyDescription("Commands run in order inside the image, each in fresh mount, PID and UTS namespaces.")
    @Size(max = 100)
    public List<Step> steps = new ArrayList<>();

    @JsonPropertyDescription("Files written into the image before the steps run.")
    @Size(max = 200)
    public List<ImageFile> files = new ArrayList<>();

    @JsonPropertyDescription("squashfs compression of the root image: zstd, xz or lz4.")
    @Default("zstd")
    public Compression compression = Compression.ZSTD;

    @JsonPropertyDescription("Encrypt the root image (AES-256-GCM per chunk); the key stays in a Secret.")
    @Default("enabled")
    public Encryption encryption = Encryption.ENABLED;

    @JsonPropertyDescription("Chunk size of the root image container: the unit nodes fetch and verify. Unset: 16Ki,"
            + " or for an unencrypted image larger than 256 MiB the smallest size at which its manifest pins every chunk"
            + " (at most 16384: 256 MiB at 16Ki, 1 GiB at 64Ki, 4 GiB at 256Ki). An unencrypted image too large for the size given fails"
            + " its build, saying so.")
    @Pattern("^(16|32|64|128|256|512)Ki$|^(1|2|4|8|16)Mi$")
    public String chunkSize;

    @JsonPropertyDescription("How many of the newest published versions always stay; an older one stays too while a"
            + " NodeProfile pins it or a node last booted it, and goes once neither holds.")
    @Default("3")
    @Min(1)
    @Max(100)
    public Integer retainVersions = 3;

    @JsonPropertyDescription("Where and how the builder Job runs.")
    public Builder builder;

    @JsonPropertyDescription("Boot-ordered packing: the files the first tethered boot of a version read are kept with the"
            + " image (ConfigMap <image>-boot-order) and placed first in every later build, so a tethered boot fetches"
            + " little more than it reads.")
    public BootOrder bootOrder;

    public enum Architecture {
        @JsonProperty("amd64") AMD64,
        @JsonProperty("arm64") ARM64
    }

    public enum Compression {
        @JsonProperty("zstd") ZSTD,
        @JsonProperty("xz") XZ,
        @JsonProperty("lz4") LZ4
    }

    public enum Encryption {
        @JsonProperty("enabled") ENABLED,
        @JsonProperty("disabled") DISABLED
    }

    /**
     * An image in an OCI registry. Its layers become the tree; a kernel and initramfs tool are installed
     * with the image's own apt-get or dnf when it has none, and {@code packages} are installed the same way.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class OciSource {
        @JsonPropertyDescription("registry.example.org/repo/name:tag, or @sha256:digest to pin it.")
        @Required
        @Pattern(Patterns.OCI_REFERENCE)
        @Size(max = 1024)
        public String image;

        @JsonPropertyDescription("A Secret in this namespace with the registry's credentials, of type"
                + " kubernetes.io/dockerconfigjson (kubectl create secret docker-registry); mounted into the builder Job only.")
        @Pattern(Patterns.DNS_SUBDOMAIN)
        @Size(max = 253)
        public String pullSecret;

        @JsonPropertyDescription("Reach the registry over plain HTTP or without checking its certificate.")
        @Default("false")
        public Boolean insecure = false;

        public OciSource() {}

        public OciSource(String image, String pullSecret) {
            this.image = image;
            this.pullSecret = pullSecret;
        }
    }

    /** An extra package repository. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Repository {
        @JsonPropertyDescription("Base URL of the repository.")
        @Required
        @Pattern("^https?://[^\\s]+$")
        @Size(max = 2048)
        public String url;

        @JsonPropertyDescription("Debian/Ubuntu suite of the repository; defaults to the image's release.")
        @Pattern("^[a-z0-9][a-z0-9._/-]*$")
        public String suite;

        @JsonPropertyDescription("Debian/Ubuntu components (main, contrib); main when empty, none for a flat repository"
                + " (a suite ending in /).")
        @Size(max = 16)
        public List<@Pattern("^[a-z0-9][a-z0-9._-]*$") String> components = new ArrayList<>();

        @JsonPropertyDescription("RHEL family: the public key that signs this repository's packages (file://, http:// or"
                + " https://). Packages of extra repositories must be signed by one of the keys the image's repositories"
                + " name (each is trusted for all of them); extra repositories with no key at all fail the build.")
        @Pattern("^(file|https?)://[!-~]+$")
        @Size(max = 2048)
        public String gpgKey;
    }

    /** One customisation step, run as {@code imgutil exec} runs it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Step {
        @JsonPropertyDescription("Unique name of the step, shown in the build log.")
        @Required
        @Pattern(Patterns.DNS_LABEL)
        @Size(max = 63)
        public String name;

        @JsonPropertyDescription("A shell script, run with /bin/sh -e inside the image.")
        @Required
        @Size(min = 1, max = 65536)
        public String run;

        public Step() {}

        public Step(String name, String run) {
            this.name = name;
            this.run = run;
        }
    }

    /** A file put into the image. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ImageFile {
        @JsonPropertyDescription("Absolute path of the file in the image.")
        @Required
        @Pattern(Patterns.ABSOLUTE_PATH)
        @Size(max = 4096)
        public String path;

        @JsonPropertyDescription("The file's content, as text.")
        @Required
        @Size(max = 262144)
        public String content;

        @JsonPropertyDescription("Octal permission bits.")
        @Default("0644")
        @Pattern("^0?[0-7]{3}$")
        public String mode = "0644";
    }

    /** What the operator does with the files a boot read (docs/images.md, boot order). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class BootOrder {
        @JsonPropertyDescription("Re-pack the image once when the first boot order arrives for a version built without"
                + " one (a new version, same spec). false: the order is still kept and used by the next build the"
                + " spec causes, but no build is started for it.")
        @Default("true")
        public Boolean repack = true;
    }

    /** Where and how the builder Job runs. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Builder {
        @JsonPropertyDescription("CPU and memory of the builder container.")
        public ResourceRequirements resources;
        @JsonPropertyDescription("Labels of the cluster nodes the builder may run on.")
        public Map<String, String> nodeSelector;

        @JsonPropertyDescription("Give up on a build that runs longer than this.")
        @Default("2h")
        @Pattern(Patterns.DURATION)
        public String timeout = "2h";
    }
}
