package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Least privilege: the operator gets exactly the verbs on exactly the resources it uses, and nothing with a wildcard. */
class RbacTest {
    /** What the operator does in the namespaces it manages, as the issue lists it. */
    private static final Set<String> MANAGED_NAMESPACE_GRANTS = grants(
            rule("tether.dev", "disklessimages,nodeprofiles,nodecredentials", "get,list,watch,patch,update"),
            rule("tether.dev", "disklessimages/status,nodeprofiles/status,nodecredentials/status,discoverednodes/status", "get,patch,update"),
            rule("tether.dev", "discoverednodes", "get,list,watch,create,patch,update,delete"),
            rule("tether.dev", "nodecredentials", "create"),
            rule("tether.dev", "disklessimages/finalizers,nodeprofiles/finalizers,nodecredentials/finalizers,discoverednodes/finalizers", "update"),
            rule("", "secrets,configmaps,services", "get,list,watch,create,update,patch,delete"),
            rule("", "pods", "get,list,watch"),
            rule("", "events", "create,patch"),
            rule("events.k8s.io", "events", "create,patch"),
            rule("batch", "jobs", "get,list,watch,create,delete"),
            rule("apps", "daemonsets", "get,list,watch,create,update,patch,delete"));
    /** What it does in its own namespace only: leader election, and creating the origin token Secret. */
    private static final Set<String> OWN_NAMESPACE_GRANTS = grants(
            rule("coordination.k8s.io", "leases", "get,create,update"),
            rule("", "secrets", "get,create"),
            rule("", "configmaps", "get,create,patch"));

    @Test
    void byDefaultAClusterRoleGrantsExactlyWhatTheOperatorUsesInEveryNamespace() {
        RenderedChart chart = TetherChart.render();

        assertThat(chart.all(ClusterRole.class)).singleElement()
                .satisfies(role -> assertThat(grantsOf(role.getRules())).isEqualTo(MANAGED_NAMESPACE_GRANTS));
        assertThat(chart.all(Role.class)).singleElement()
                .satisfies(role -> {
                    assertThat(role.getMetadata().getNamespace()).isEqualTo(TetherChart.NAMESPACE);
                    assertThat(grantsOf(role.getRules())).isEqualTo(OWN_NAMESPACE_GRANTS);
                });
    }

    @Test
    void watchNamespacesReplaceTheClusterRoleWithARolePerNamespace() {
        RenderedChart chart = TetherChart.render("""
                watchNamespaces: [cluster-a, cluster-b]
                """);

        assertThat(chart.all(ClusterRole.class)).isEmpty();
        assertThat(chart.all(ClusterRoleBinding.class)).isEmpty();
        List<Role> managed = chart.all(Role.class).stream()
                .filter(r -> !r.getMetadata().getNamespace().equals(TetherChart.NAMESPACE))
                .toList();
        assertThat(managed).extracting(r -> r.getMetadata().getNamespace()).containsExactlyInAnyOrder("cluster-a", "cluster-b");
        assertThat(managed).allSatisfy(role -> assertThat(grantsOf(role.getRules())).isEqualTo(MANAGED_NAMESPACE_GRANTS));
        assertThat(chart.all(RoleBinding.class)).extracting(b -> b.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("cluster-a", "cluster-b", TetherChart.NAMESPACE);
    }

    @Test
    void theOperatorsOwnNamespaceMayAlsoBeWatched() {
        RenderedChart chart = TetherChart.render("watchNamespaces: [" + TetherChart.NAMESPACE + "]\n");

        List<Role> inOwnNamespace = chart.all(Role.class);
        assertThat(inOwnNamespace).extracting(r -> r.getMetadata().getNamespace()).containsOnly(TetherChart.NAMESPACE);
        assertThat(inOwnNamespace).extracting(r -> r.getMetadata().getName()).doesNotHaveDuplicates().hasSize(2);
        Set<String> union = new TreeSet<>();
        inOwnNamespace.forEach(r -> union.addAll(grantsOf(r.getRules())));
        assertThat(union).containsAll(MANAGED_NAMESPACE_GRANTS).containsAll(OWN_NAMESPACE_GRANTS);
    }

    @Test
    void noWildcardsAndNoNonResourceUrls() {
        for (RenderedChart chart : List.of(TetherChart.render(), TetherChart.render("watchNamespaces: [a]\n"))) {
            assertThat(allRules(chart)).isNotEmpty().allSatisfy(rule -> {
                assertThat(rule.getVerbs()).doesNotContain("*").isNotEmpty();
                assertThat(rule.getResources()).noneMatch(r -> r.contains("*")).isNotEmpty();
                assertThat(rule.getApiGroups()).doesNotContain("*");
                assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
            });
        }
    }

    @Test
    void everyBindingGivesARenderedRoleToTheOperatorsServiceAccount() {
        for (RenderedChart chart : List.of(TetherChart.render(), TetherChart.render("watchNamespaces: [a, b]\n"))) {
            String account = chart.one(Deployment.class, "tether-operator")
                    .getSpec().getTemplate().getSpec().getServiceAccountName();
            for (ClusterRoleBinding binding : chart.all(ClusterRoleBinding.class)) {
                assertBindsRenderedRole(chart, binding.getRoleRef(), null);
                assertThat(binding.getSubjects()).singleElement().satisfies(s -> isOperator(s, account));
            }
            for (RoleBinding binding : chart.all(RoleBinding.class)) {
                assertBindsRenderedRole(chart, binding.getRoleRef(), binding.getMetadata().getNamespace());
                assertThat(binding.getSubjects()).singleElement().satisfies(s -> isOperator(s, account));
            }
        }
    }

    /** Every rule in a rendered Role or ClusterRole is preceded by a comment that says why it is there. */
    @Test
    void everyRuleSaysWhy() {
        Pattern ruleStart = Pattern.compile("^\\s*- apiGroups:");
        RenderedChart chart = TetherChart.render("watchNamespaces: [a]\n");
        List<String> lines = chart.yaml().lines().toList();
        int rules = 0;
        for (int i = 1; i < lines.size(); i++) {
            if (ruleStart.matcher(lines.get(i)).find()) {
                rules++;
                assertThat(lines.get(i - 1).strip()).as("line before rule %s", lines.get(i).strip()).startsWith("#");
            }
        }
        assertThat(rules).as("rules found in the rendered text").isEqualTo(allRules(chart).size());
    }

    private static void assertBindsRenderedRole(RenderedChart chart, RoleRef ref, String namespace) {
        Stream<? extends HasMetadata> candidates = ref.getKind().equals("ClusterRole")
                ? chart.all(ClusterRole.class).stream()
                : chart.all(Role.class).stream().filter(r -> r.getMetadata().getNamespace().equals(namespace));
        assertThat(candidates.map(r -> r.getMetadata().getName())).as("role bound by %s", ref).contains(ref.getName());
    }

    private static void isOperator(Subject subject, String account) {
        assertThat(subject.getKind()).isEqualTo("ServiceAccount");
        assertThat(subject.getName()).isEqualTo(account);
        assertThat(subject.getNamespace()).isEqualTo(TetherChart.NAMESPACE);
    }

    private static List<PolicyRule> allRules(RenderedChart chart) {
        List<PolicyRule> rules = new ArrayList<>();
        chart.all(ClusterRole.class).forEach(r -> rules.addAll(r.getRules()));
        chart.all(Role.class).forEach(r -> rules.addAll(r.getRules()));
        return rules;
    }

    private static Set<String> grantsOf(List<PolicyRule> rules) {
        Set<String> grants = new TreeSet<>();
        for (PolicyRule rule : rules) {
            assertThat(rule.getResourceNames()).as("no rule limited by name is expected").isNullOrEmpty();
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        grants.add(grant(group, resource, verb));
                    }
                }
            }
        }
        return grants;
    }

    private static PolicyRule rule(String group, String resources, String verbs) {
        return new PolicyRuleBuilder()
                .withApiGroups(group)
                .withResources(resources.split(","))
                .withVerbs(verbs.split(","))
                .build();
    }

    private static Set<String> grants(PolicyRule... rules) {
        return grantsOf(List.of(rules));
    }

    private static String grant(String group, String resource, String verb) {
        return (group.isEmpty() ? "core" : group) + "/" + resource + " " + verb;
    }
}
