package dev.tether.operator.identity;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeFileTemplate;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.nodeapi.NodeFileRules;
import dev.tether.nodeapi.NodeIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A node's {@link NodeIdentity}: its host name, and its profile's node files rendered for it. All or nothing for the
 * files: when one cannot be rendered or breaks a {@link NodeFileRules} limit, the node gets none of them and the
 * reason, and boots with its image's files. A half-configured node (its chrony settings but not its Slurm ones, say)
 * is harder to spot than one without any; refusing the boot would take every node of the profile down for one
 * template's typo. The profile's {@code NodeIdentityRendered} condition and the node's console say what is missing.
 */
public final class NodeIdentities {
    private NodeIdentities() {
    }

    /** What the node is sent, and what its profile's status says about it. */
    public record Rendering(NodeIdentity identity, List<String> problems) {
    }

    public static Rendering render(NodeCredential credential, NodeProfile profile, TemplateSource templates) {
        NodeHostnames.Names names = NodeHostnames.of(credential, profile);
        List<String> problems = new ArrayList<>();
        names.problem().ifPresent(problems::add);
        List<NodeIdentity.NodeFile> files = new ArrayList<>();
        Optional<String> filesProblem = Optional.empty();
        List<NodeFileTemplate> wanted = profile.getSpec().nodeFiles == null ? List.of() : profile.getSpec().nodeFiles;
        if (!wanted.isEmpty()) {
            Map<String, Object> variables = NodeFileVariables.of(credential, profile, names);
            String namespace = profile.getMetadata().getNamespace();
            try {
                for (NodeFileTemplate wantedFile : wanted) {
                    files.add(renderOne(wantedFile, namespace, variables, templates));
                }
                filesProblem = NodeFileRules.checkAll(files);
            } catch (NodeFileTemplates.RenderingFailed e) {
                filesProblem = Optional.of(e.getMessage());
            }
            if (filesProblem.isPresent()) {
                files.clear();
                problems.add("node " + credential.getSpec().nodeName + " gets none of the node files: " + filesProblem.get());
            }
        }
        NodeIdentity identity = new NodeIdentity(names.hostname().orElse(null), names.fqdn().orElse(null), List.copyOf(files),
                filesProblem.orElse(null));
        return new Rendering(identity, List.copyOf(problems));
    }

    private static NodeIdentity.NodeFile renderOne(NodeFileTemplate file, String namespace, Map<String, Object> variables,
            TemplateSource templates) {
        String mode = file.mode == null ? NodeFileRules.DEFAULT_MODE : file.mode;
        Optional<String> refused = NodeFileRules.checkPath(file.path).or(() -> NodeFileRules.checkMode(mode))
                .or(() -> NodeFileRules.checkOwner(file.owner));
        if (refused.isPresent()) {
            throw new NodeFileTemplates.RenderingFailed(refused.get());
        }
        String template;
        if (file.template != null) {
            template = file.template;
        } else if (file.templateFrom != null) {
            template = templates.template(namespace, file.templateFrom);
        } else {
            throw new NodeFileTemplates.RenderingFailed(file.path + " has neither template nor templateFrom");
        }
        try {
            return new NodeIdentity.NodeFile(file.path, mode, file.owner, NodeFileTemplates.render(template, variables));
        } catch (NodeFileTemplates.RenderingFailed e) {
            throw new NodeFileTemplates.RenderingFailed(file.path + ": " + e.getMessage());
        }
    }
}
