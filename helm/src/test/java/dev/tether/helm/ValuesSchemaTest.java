package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** values.schema.json stops a bad value at `helm install` time, naming the value that is wrong. */
class ValuesSchemaTest {

    @Test
    void aStorageSizeThatIsNotAQuantityIsRejected() {
        assertThatThrownBy(() -> TetherChart.renderRaw("""
                origin:
                  storage:
                    size: lots
                """))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining("/origin/storage/size")
                .hasMessageContaining("'lots'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"500Gi", "2Ti", "1.5Ti", "750G", "1099511627776"})
    void kubernetesQuantitiesAreAccepted(String size) {
        StatefulSet origin = TetherChart.render("origin: {storage: {size: \"" + size + "\"}}\n").one(StatefulSet.class, "tether-origin");

        assertThat(origin.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests().get("storage").toString())
                .isEqualTo(size);
    }

    @ParameterizedTest(name = "{0} is rejected at {1}")
    @CsvSource(delimiter = '|', textBlock = """
            origin: {storage: {size: 0Gi}}                  | /origin/storage/size
            origin: {storage: {size: 100GB}}                | /origin/storage/size
            operator: {image: {repository: ""}}             | /operator/image/repository
            builder: {image: {repository: null}}            | /builder/image
            contentServer: {image: {tag: 1.0}}              | /contentServer/image/tag
            builder: {privileged: "yes"}                    | /builder/privileged
            operator: {image: {pullPolicy: Sometimes}}      | /operator/image/pullPolicy
            origin: {port: 70000}                           | /origin/port
            watchNamespaces: Team_A                         | /watchNamespaces
            watchNamespaces: [Team_A]                       | /watchNamespaces/0
            imagePullSecrets: [regcred]                     | /imagePullSecrets/0
            origin: {storage: {storageClass: fast}}         | /origin/storage
            nodeApi: {sshPrincipals: {domain: "*"}}         | /nodeApi/sshPrincipals/domain
            nodeApi: {sshPrincipals: {namespaces: {hpc: {cidrs: [10.0.0.0]}}}} | /nodeApi/sshPrincipals/namespaces/hpc/cidrs/0
            operatr: {image: {repository: x}}               | ''
            """)
    void badValuesAreRejectedNamingTheirPlace(String values, String place) {
        assertThatThrownBy(() -> TetherChart.renderRaw(values))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at '" + place + "'");
    }

    @Test
    void theDefaultsThemselvesAreValid() {
        assertThatCode(() -> TetherChart.renderRaw("")).doesNotThrowAnyException();
    }
}
