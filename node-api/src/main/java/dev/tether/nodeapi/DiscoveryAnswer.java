package dev.tether.nodeapi;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * Where a registered machine stands.
 *
 * @param state    {@link State#PENDING}: ask again later; {@link State#ENROLLED}: reboot, and the edge's script boots
 *                 the machine as the node it now is
 * @param name     the DiscoveredNode that records it (pending) or the node name it was enrolled as
 * @param message  what an operator at the console should know
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DiscoveryAnswer(State state, String name, String message) {
    public enum State {
        @JsonProperty("pending") PENDING,
        @JsonProperty("enrolled") ENROLLED;

        /** The wire name, as the annotations give it to databind: jackson-jr (the agent's {@link NodeApiJson}) reads and writes an enum by its string. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
