package dev.tether.cli;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tether nodes generate}: one NodeCredential per machine of a rack, as YAML for {@code kubectl apply -f} or a
 * GitOps repository, from the MAC addresses a site has (a switch's table, a vendor's shipping list). Nothing is sent
 * anywhere: the output is reviewed and applied like any other manifest.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write NodeCredentials for many machines: names from --prefix and --range (or from the MAC file),",
                "MACs from the MAC file, in order. Example:",
                "  tether nodes generate --profile compute -n hpc --prefix cn --range 001-048 --macs rack12.txt > rack12.yaml"})
final class GenerateNodesCommand implements Callable<Integer> {
    /** More than this is a typo in a range, not a rack. */
    static final int MAX_NODES = 10_000;
    private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");
    private static final Pattern NODE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern RANGE = Pattern.compile("([0-9]{1,6})-([0-9]{1,6})");

    @Spec
    CommandSpec spec;

    @Option(names = "--profile", required = true, paramLabel = "NAME", description = "The NodeProfile the nodes boot with.")
    String profile;

    @Option(names = {"-n", "--namespace"}, required = true, paramLabel = "NAMESPACE", description = "The profile's namespace.")
    String namespace;

    @Option(names = "--macs", required = true, paramLabel = "FILE",
            description = {"One machine per line: its MAC (52:54:00:12:34:56 or 52-54-00-12-34-56), or a node name and its MAC",
                    "(cn001 52:54:00:12:34:56, or with a comma). Blank lines and lines starting with # are skipped."})
    Path macs;

    @Option(names = "--prefix", paramLabel = "PREFIX", description = "Node names: this prefix and the numbers of --range.")
    String prefix;

    @Option(names = "--range", paramLabel = "FIRST-LAST",
            description = "Node numbers, e.g. 001-500; the width of FIRST (its leading zeros) is kept.")
    String range;

    @Option(names = "--arming", paramLabel = "MODE", defaultValue = "once",
            description = "once (default: each node fetches one key over the network, sealed in its TPM), continuous (no TPM),"
                    + " or disarmed.")
    String arming;

    @Option(names = "--domain", paramLabel = "DOMAIN", description = "Set each node's spec.fqdn to <name>.<DOMAIN>.")
    String domain;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the YAML here instead of to standard output.")
    Path output;

    /** One machine: its node name and MAC, and the line of the MAC file it came from. */
    record Machine(String name, String mac, int line) {
    }

    @Override
    public Integer call() throws IOException {
        if (!NODE_NAME.matcher(namespace).matches() || namespace.length() > 63) {
            throw usage("--namespace " + namespace + " is not a namespace name (lower case letters, digits and '-')");
        }
        if (!Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?").matcher(profile).matches() || profile.length() > 253) {
            throw usage("--profile " + profile + " is not a NodeProfile name");
        }
        NodeCredentialSpec.Arming mode = switch (arming) {
            case "once" -> NodeCredentialSpec.Arming.ONCE;
            case "continuous" -> NodeCredentialSpec.Arming.CONTINUOUS;
            case "disarmed" -> NodeCredentialSpec.Arming.DISARMED;
            default -> throw usage("--arming must be once, continuous or disarmed, not " + arming);
        };
        List<Machine> machines = machines();
        var yaml = new StringBuilder();
        var serialization = new KubernetesSerialization();
        for (Machine machine : machines) {
            yaml.append(serialization.asYaml(credential(machine, mode)));
        }
        if (output == null) {
            PrintWriter out = spec.commandLine().getOut();
            out.print(yaml);
            out.flush();
        } else {
            Files.writeString(output, yaml, StandardCharsets.UTF_8);
        }
        spec.commandLine().getErr().println("tether: " + machines.size() + " NodeCredential" + (machines.size() == 1 ? "" : "s")
                + " for profile " + namespace + "/" + profile + (output == null ? "" : " in " + output));
        return 0;
    }

    private NodeCredential credential(Machine machine, NodeCredentialSpec.Arming mode) {
        var credential = new NodeCredential();
        credential.setMetadata(new ObjectMetaBuilder().withName(machine.name()).withNamespace(namespace).build());
        var spec = new NodeCredentialSpec();
        spec.nodeName = machine.name();
        spec.profile = profile;
        spec.hardware = new NodeCredentialSpec.Hardware();
        spec.hardware.macs = new ArrayList<>(List.of(machine.mac()));
        spec.arming = mode;
        spec.tpm = mode == NodeCredentialSpec.Arming.CONTINUOUS ? NodeCredentialSpec.Tpm.ABSENT : NodeCredentialSpec.Tpm.EXPECTED;
        if (domain != null) {
            spec.fqdn = machine.name() + "." + domain;
        }
        credential.setSpec(spec);
        return credential;
    }

    /** The machines of the MAC file, named from it or from the range; every problem found is reported at once. */
    List<Machine> machines() throws IOException {
        if (!Files.isRegularFile(macs)) {
            throw usage("--macs " + macs + ": no such file");
        }
        List<String> lines = Files.readAllLines(macs, StandardCharsets.UTF_8);
        List<String> problems = new ArrayList<>();
        List<Machine> read = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("[\\s,]+");
            String name = fields.length == 2 ? fields[0] : null;
            String mac = fields[fields.length - 1].toLowerCase(Locale.ROOT).replace('-', ':');
            if (fields.length > 2 || !MAC.matcher(mac).matches()) {
                problems.add(macs + ":" + (i + 1) + ": not a MAC address, or a node name and a MAC address: " + printable(line));
                continue;
            }
            read.add(new Machine(name, mac, i + 1));
        }
        boolean named = !read.isEmpty() && read.stream().allMatch(m -> m.name() != null);
        if (!named && read.stream().anyMatch(m -> m.name() != null)) {
            problems.add(macs + ": some lines name their node and some do not; name all of them or none");
        }
        List<Machine> machines = new ArrayList<>();
        if (named) {
            if (prefix != null || range != null) {
                problems.add("the MAC file names the nodes; leave out --prefix and --range");
            }
            machines.addAll(read);
        } else {
            List<String> names = rangeNames(problems);
            if (names != null && names.size() != read.size()) {
                problems.add("--range " + range + " names " + names.size() + " nodes and " + macs + " has " + read.size() + " MACs");
            } else if (names != null) {
                for (int i = 0; i < names.size(); i++) {
                    machines.add(new Machine(names.get(i), read.get(i).mac(), read.get(i).line()));
                }
            }
        }
        Map<String, Integer> seenNames = new HashMap<>();
        Map<String, Integer> seenMacs = new HashMap<>();
        for (Machine machine : machines) {
            if (!NODE_NAME.matcher(machine.name()).matches() || machine.name().length() > 63) {
                problems.add(macs + ":" + machine.line() + ": " + printable(machine.name()) + " is not a node name (lower case"
                        + " letters, digits and '-', at most 63)");
            }
            Integer before = seenNames.putIfAbsent(machine.name(), machine.line());
            if (before != null) {
                problems.add(macs + ":" + machine.line() + ": node " + machine.name() + " again (line " + before + ")");
            }
            before = seenMacs.putIfAbsent(machine.mac(), machine.line());
            if (before != null) {
                problems.add(macs + ":" + machine.line() + ": MAC " + machine.mac() + " again (line " + before + ")");
            }
        }
        if (read.isEmpty()) {
            problems.add(macs + " lists no MAC address");
        }
        if (!problems.isEmpty()) {
            throw usage(String.join("\n  ", problems));
        }
        return machines;
    }

    /** The node names --prefix and --range spell, or null (with the problem noted) when they cannot. */
    private List<String> rangeNames(List<String> problems) {
        if (prefix == null || range == null) {
            problems.add("give --prefix and --range to name the nodes, or name them in the MAC file");
            return null;
        }
        Matcher m = RANGE.matcher(range);
        if (!m.matches()) {
            problems.add("--range " + printable(range) + " is not FIRST-LAST, e.g. 001-048");
            return null;
        }
        int first = Integer.parseInt(m.group(1));
        int last = Integer.parseInt(m.group(2));
        if (last < first || last - first + 1 > MAX_NODES) {
            problems.add("--range " + range + " must count up, at most " + MAX_NODES + " nodes");
            return null;
        }
        int width = m.group(1).length();
        List<String> names = new ArrayList<>();
        for (int n = first; n <= last; n++) {
            names.add(prefix + String.format(Locale.ROOT, "%0" + width + "d", n));
        }
        return names;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Input echoed in a message: printable ASCII only, and not too much of it. */
    private static String printable(String text) {
        String shown = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        return shown.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
