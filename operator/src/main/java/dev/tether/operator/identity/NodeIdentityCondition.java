package dev.tether.operator.identity;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import java.util.ArrayList;
import java.util.List;

/**
 * The profile's {@code NodeIdentityRendered} condition: whether every node of the profile gets the host name and the
 * node files the profile asks for. False names the first problems (the nodes still boot, without the files); the
 * node API renders again at each boot from the same inputs, so what the condition says is what a booting node gets.
 */
public final class NodeIdentityCondition {
    public static final String TYPE = "NodeIdentityRendered";
    /** Problems named in the message; the rest are counted. */
    private static final int SHOWN = 3;

    private NodeIdentityCondition() {
    }

    public static List<Condition> apply(List<Condition> conditions, NodeProfile profile, List<NodeCredential> credentials,
            TemplateSource templates, long generation) {
        List<String> problems = new ArrayList<>();
        for (NodeCredential credential : credentials) {
            problems.addAll(NodeIdentities.render(credential, profile, templates).problems());
        }
        int files = profile.getSpec().nodeFiles == null ? 0 : profile.getSpec().nodeFiles.size();
        Condition condition;
        if (problems.isEmpty()) {
            condition = new Condition(TYPE, true, "Rendered", "Host name" + (files == 0 ? "" : " and " + files + " node file"
                    + (files == 1 ? "" : "s")) + " rendered for " + credentials.size() + " node" + (credentials.size() == 1 ? "" : "s")
                    + ".", generation);
        } else {
            String shown = String.join("; ", problems.subList(0, Math.min(SHOWN, problems.size())));
            condition = new Condition(TYPE, false, "NotRendered", shown + (problems.size() > SHOWN ? "; and "
                    + (problems.size() - SHOWN) + " more" : "") + ". Nodes boot without the node files they cannot get;"
                    + " fix spec.nodeFiles or spec.hostname (docs/node-identity.md).", generation);
        }
        return Condition.upsert(conditions, condition);
    }
}
