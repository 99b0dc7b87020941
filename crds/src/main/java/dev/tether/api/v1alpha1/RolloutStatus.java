package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** Where a profile's rolling reboot stands. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RolloutStatus {
    @JsonPropertyDescription("The image version the nodes are being rebooted onto.")
    public String digest;
    @JsonPropertyDescription("Nodes asked to reboot onto digest that have not reported booting it yet (at most maxUnavailable).")
    public List<RebootingNode> rebooting = new ArrayList<>();
    @JsonPropertyDescription("Powered-on nodes with a BMC still running another version, waiting for their turn.")
    public Integer waiting;
    @JsonPropertyDescription("NodeCredentials that did not report booting digest within bootTimeout: the rollout stopped for them.")
    public List<String> failed = new ArrayList<>();

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RebootingNode {
        @JsonPropertyDescription("The NodeCredential.")
        public String name;
        @JsonPropertyDescription("When the rollout asked for its reboot: it must report booting digest within bootTimeout of this.")
        public String requestedAt;

        public RebootingNode() {}

        public RebootingNode(String name, String requestedAt) {
            this.name = name;
            this.requestedAt = requestedAt;
        }
    }
}
