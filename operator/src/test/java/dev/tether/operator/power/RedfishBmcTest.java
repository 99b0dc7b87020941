package dev.tether.operator.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.v1alpha1.Bmc.Auth;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import dev.tether.operator.power.RecordedRedfish.Answer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RedfishBmc} against recorded answers in the DMTF schema's shape, over real HTTPS. No Redfish emulator runs on
 * this machine (DMTF's is a Python service outside Debian), so this is what covers Redfish: the protocol as the
 * schema writes it, the errors BMCs send, and the answers of a BMC that is broken or hostile.
 */
class RedfishBmcTest {
    private static final String USER = "Administrator";
    private static final String PASSWORD = "rf-pass-5d9e21";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String SYSTEM = "/redfish/v1/Systems/437XR1138R2";
    private static final String RESET = SYSTEM + "/Actions/ComputerSystem.Reset";

    RecordedRedfish bmc;

    @BeforeEach
    void start() throws Exception {
        bmc = new RecordedRedfish(USER, PASSWORD);
    }

    @AfterEach
    void stop() {
        bmc.close();
    }

    private RedfishBmc client(Auth auth, String password) throws Exception {
        return new RedfishBmc(RedfishTls.client(bmc.caPem, false, TIMEOUT), bmc.base(), null, auth,
                new BmcCredentials(USER, password, bmc.caPem), TIMEOUT);
    }

    @Test
    void readsThePowerStateAndResetsTheOnlySystemWithBasicAuth() throws Exception {
        try (var redfish = client(Auth.BASIC, PASSWORD)) {
            assertThat(redfish.powerState()).isEqualTo(PowerState.ON);
            redfish.reboot();
            redfish.softOff();
            redfish.powerOff();
            bmc.answer("GET", SYSTEM, Answer.json(200, RecordedRedfish.recorded("system-off.json")));
            assertThat(redfish.powerState()).isEqualTo(PowerState.OFF);
            redfish.powerOn();
        }
        assertThat(bmc.requests("POST", RESET)).extracting(RecordedRedfish.Request::body)
                .containsExactly("{\"ResetType\":\"ForceRestart\"}", "{\"ResetType\":\"GracefulShutdown\"}", "{\"ResetType\":\"ForceOff\"}",
                        "{\"ResetType\":\"On\"}");
    }

    @Test
    void aSessionIsOpenedUsedAndDeleted() throws Exception {
        try (var redfish = client(Auth.SESSION, PASSWORD)) {
            redfish.reboot();
        }
        assertThat(bmc.requests).extracting(r -> r.method() + " " + r.path()).containsExactly(
                "POST /redfish/v1/SessionService/Sessions", "GET /redfish/v1/Systems", "GET " + SYSTEM, "POST " + RESET,
                "POST /redfish/v1/SessionService/Sessions".replace("POST", "DELETE") + "/1234567890ABCDEF");
        assertThat(bmc.requests.subList(1, bmc.requests.size())).allSatisfy(r -> {
            assertThat(r.headers()).doesNotContainKey("Authorization");
            assertThat(r.body()).doesNotContain(PASSWORD);
        });
    }

    @Test
    void aRefusedPasswordIsAnAuthenticationFailureThatDoesNotQuoteIt() {
        for (Auth auth : Auth.values()) {
            assertThatThrownBy(() -> client(auth, "not-the-password").powerState())
                    .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.AUTHENTICATION))
                    .hasMessageContaining("refused user " + USER).hasMessageContaining("HTTP 401")
                    .hasMessageNotContaining("not-the-password");
        }
    }

    @Test
    void aServerErrorIsARefusalWithTheRedfishMessage() {
        bmc.answer("POST", RESET, Answer.json(500, RecordedRedfish.recorded("error-internal.json")));
        assertThatThrownBy(() -> client(Auth.BASIC, PASSWORD).reboot())
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.REFUSED))
                .hasMessageContaining("HTTP 500").hasMessageContaining("internal service error");
    }

    @Test
    void malformedJsonAndAMissingPowerStateAreInvalidAnswers() {
        bmc.answer("GET", SYSTEM, Answer.json(200, "{\"PowerState\": \"On\", "));
        assertThatThrownBy(() -> client(Auth.BASIC, PASSWORD).powerState())
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.BAD_ANSWER))
                .hasMessageContaining("malformed JSON");
        bmc.answer("GET", SYSTEM, Answer.json(200, "{\"PowerState\": \"\\u001b[2JMaybe\"}"));
        assertThatThrownBy(() -> client(Auth.BASIC, PASSWORD).powerState())
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.BAD_ANSWER))
                .hasMessageContaining("no PowerState On or Off").hasMessageNotContaining("\u001b");
    }

    @Test
    void aHugeAnswerIsNotRead() {
        bmc.answer("GET", SYSTEM, new Answer(200, Map.of("Content-Type", "application/json"),
                ("{\"Name\":\"" + "x".repeat(2 * RedfishBmc.BODY_LIMIT) + "\"}").getBytes()));
        assertThatThrownBy(() -> client(Auth.BASIC, PASSWORD).powerState())
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.BAD_ANSWER))
                .hasMessageContaining("more than 1024 KiB");
    }

    /** A BMC must not send the operator, with the password, to another host: its links are followed only on itself. */
    @Test
    void aResetTargetOnAnotherHostIsNotFollowed() throws Exception {
        try (var elsewhere = new RecordedRedfish(USER, PASSWORD)) {
            String hostile = RecordedRedfish.recorded("system-on.json")
                    .replace("\"target\": \"/redfish", "\"target\": \"" + elsewhere.base() + "/redfish");
            bmc.answer("GET", SYSTEM, Answer.json(200, hostile));
            assertThatThrownBy(() -> client(Auth.BASIC, PASSWORD).reboot())
                    .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.BAD_ANSWER))
                    .hasMessageContaining("not a Redfish path on that BMC");
            assertThat(elsewhere.requests).isEmpty();
        }
        bmc.answer("GET", "/redfish/v1/Systems", Answer.json(200, "{\"Members\":[{\"@odata.id\":\"/redfish/v1/Systems/../../etc\"}]}"));
        assertThatThrownBy(() -> client(Auth.BASIC, PASSWORD).powerState()).hasMessageContaining("not a Redfish path");
    }

    @Test
    void aBmcWithSeveralSystemsNeedsTheSystemNamed() throws Exception {
        bmc.answer("GET", "/redfish/v1/Systems", Answer.json(200,
                "{\"Members\":[{\"@odata.id\":\"/redfish/v1/Systems/1\"},{\"@odata.id\":\"/redfish/v1/Systems/2\"}]}"));
        assertThatThrownBy(() -> client(Auth.BASIC, PASSWORD).powerState()).hasMessageContaining("lists 2 systems")
                .hasMessageContaining("spec.bmc.redfish.systemId");
        var named = new RedfishBmc(RedfishTls.client(bmc.caPem, false, TIMEOUT), bmc.base(), "437XR1138R2", Auth.BASIC,
                new BmcCredentials(USER, PASSWORD, bmc.caPem), TIMEOUT);
        assertThat(named.powerState()).isEqualTo(PowerState.ON);
    }

    /** A hostile BMC that echoes what it was sent cannot get the password into a status message. */
    @Test
    void anEchoedPasswordIsBlankedOut() {
        bmc.answer("POST", RESET, Answer.json(400, "{\"error\":{\"message\":\"bad password " + PASSWORD + " for you\"}}"));
        assertThatThrownBy(() -> client(Auth.BASIC, PASSWORD).reboot())
                .hasMessageContaining("bad password *** for you").hasMessageNotContaining(PASSWORD);
    }

    @Test
    void aCertificateFromAnUnknownCaIsRefusedUnlessVerificationIsSwitchedOff() throws Exception {
        var untrusting = new RedfishBmc(RedfishTls.client(null, false, TIMEOUT), bmc.base(), null, Auth.BASIC,
                new BmcCredentials(USER, PASSWORD, null), TIMEOUT);
        assertThatThrownBy(untrusting::powerState)
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.UNREACHABLE))
                .hasMessageContaining("ca.crt");
        assertThat(bmc.requests).as("no request, so no password, went out").isEmpty();

        var byAddress = new RedfishBmc(RedfishTls.client(bmc.caPem, false, TIMEOUT),
                URI.create("https://127.0.0.1:" + bmc.base().getPort()), null, Auth.BASIC, new BmcCredentials(USER, PASSWORD, bmc.caPem), TIMEOUT);
        assertThatThrownBy(byAddress::powerState).as("the certificate does not name 127.0.0.1")
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.UNREACHABLE));

        var insecure = new RedfishBmc(RedfishTls.client(null, true, TIMEOUT), URI.create("https://127.0.0.1:" + bmc.base().getPort()),
                null, Auth.BASIC, new BmcCredentials(USER, PASSWORD, null), TIMEOUT);
        assertThat(insecure.powerState()).isEqualTo(PowerState.ON);
    }

    @Test
    void aBmcThatNeverAnswersIsUnreachableWithinTheTimeout() throws Exception {
        try (var silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            var redfish = new RedfishBmc(RedfishTls.client(bmc.caPem, false, Duration.ofSeconds(1)),
                    URI.create("https://localhost:" + silent.getLocalPort()), null, Auth.BASIC,
                    new BmcCredentials(USER, PASSWORD, bmc.caPem), Duration.ofSeconds(1));
            assertThatThrownBy(redfish::powerState)
                    .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.UNREACHABLE));
        }
    }
}
