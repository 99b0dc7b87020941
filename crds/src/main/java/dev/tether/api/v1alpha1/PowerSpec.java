package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

/**
 * The power a node should have, carried out through its BMC. Declarative, so a manifest applied twice does the same
 * thing once: {@code state} is a level, {@code rebootRequest} a token whose every new value asks for one reboot.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PowerSpec {
    @JsonPropertyDescription("on or off: the operator powers the node on or off when the BMC says otherwise (off: at once, a hard "
            + "power-off, unless shutdownTimeout is set); absent: the operator only reports the power state.")
    public State state;

    @JsonPropertyDescription("With state off: first ask the node to shut down (the ACPI power button: IPMI chassis power soft, "
            + "Redfish GracefulShutdown), and cut the power only if it is still on this long after, or if the BMC refuses the "
            + "request (a Go duration: 2m, 90s). Absent: the power is cut at once.")
    @Pattern(Patterns.DURATION)
    @Size(max = 16)
    public String shutdownTimeout;

    @JsonPropertyDescription("Any new value asks for one reboot (e.g. 2026-12-02-1); the value carried out is kept in "
            + "status.power.rebootRequest, so applying the same manifest again does nothing. A node that is off is powered on.")
    @Pattern("^[A-Za-z0-9]([A-Za-z0-9._:-]*[A-Za-z0-9])?$")
    @Size(max = 63)
    public String rebootRequest;

    public enum State {
        @JsonProperty("on") ON,
        @JsonProperty("off") OFF
    }
}
