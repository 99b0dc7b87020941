package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * A rolling reboot of a profile's nodes onto the image version the profile serves: through each node's BMC, a bounded
 * number at a time, stopping when rebooted nodes do not report booting the new version.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.maxUnavailable) || (type(self.maxUnavailable) == int ? self.maxUnavailable >= 1 "
        + ": self.maxUnavailable.matches('^([1-9][0-9]?|100)%$'))",
        message = "maxUnavailable is a number of nodes (at least 1) or a percentage (1% to 100%)")
public class Rollout {
    @JsonPropertyDescription("How many of the profile's nodes may be rebooting at once: a number (1) or a percentage of the nodes "
            + "(10%, rounded down, at least 1). Default 1.")
    public IntOrString maxUnavailable;

    @JsonPropertyDescription("How long a rebooted node has to report booting the new version before the rollout stops and waits "
            + "for an administrator (a Go duration: 15m, 1h).")
    @Default("15m")
    @Pattern(Patterns.DURATION)
    public String bootTimeout = "15m";
}
