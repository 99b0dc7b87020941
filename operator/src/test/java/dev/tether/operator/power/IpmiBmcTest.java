package dev.tether.operator.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link IpmiBmc} against OpenIPMI's ipmi_sim, a real IPMI 2.0 BMC whose "machine" is a process it starts and kills. */
class IpmiBmcTest {
    private static final String PASSWORD = "pw-8c1f0e-secret";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    IpmiSimulator bmc;

    @BeforeEach
    void start() throws Exception {
        IpmiSimulator.assumeInstalled();
        bmc = IpmiSimulator.start(dir, PASSWORD);
    }

    @AfterEach
    void stop() {
        if (bmc != null) {
            bmc.close();
        }
    }

    private IpmiBmc client(String password) {
        return new IpmiBmc("ipmitool", "127.0.0.1", bmc.port, 3, new BmcCredentials(IpmiSimulator.USER, password, null), TIMEOUT);
    }

    @Test
    void powersTheMachineOnCyclesItAndPowersItOff() throws Exception {
        var ipmi = client(PASSWORD);
        assertThat(ipmi.powerState()).isEqualTo(PowerState.OFF);
        assertThat(bmc.machine()).isEmpty();

        ipmi.powerOn();
        long first = await().atMost(Duration.ofSeconds(20)).until(bmc::machine, m -> m.isPresent()).orElseThrow();
        assertThat(ipmi.powerState()).isEqualTo(PowerState.ON);

        ipmi.reboot();
        long second = await().atMost(Duration.ofSeconds(20)).until(bmc::machine, m -> m.isPresent() && m.get() != first).orElseThrow();
        assertThat(second).as("a power cycle starts the machine afresh").isNotEqualTo(first);
        assertThat(ProcessHandle.of(first).map(ProcessHandle::isAlive)).as("the old machine is gone").isNotEqualTo(java.util.Optional.of(true));

        ipmi.powerOff();
        await().atMost(Duration.ofSeconds(20)).until(bmc::machine, java.util.Optional::isEmpty);
        await().atMost(Duration.ofSeconds(20)).until(ipmi::powerState, s -> s == PowerState.OFF);
    }

    /**
     * A shutdown request ({@code chassis power soft}) needs a host that can be asked: ipmi_sim refuses it for a "machine"
     * that is a bare process, and passes it to a machine wired to its system interface, which stays on until its
     * operating system acts on it (this one has none running).
     */
    @Test
    void aShutdownRequestIsRefusedWithoutAHostToAskAndTakenByAMachineWiredToTheBmc() throws Exception {
        var bare = client(PASSWORD);
        bare.powerOn();
        await().atMost(Duration.ofSeconds(20)).until(bmc::machine, java.util.Optional::isPresent);
        assertThatThrownBy(bare::softOff)
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.REFUSED))
                .hasMessageContaining("refused 'chassis power soft'");
        assertThat(bare.powerState()).isEqualTo(PowerState.ON);
        bmc.close();

        org.junit.jupiter.api.Assumptions.assumeTrue(IpmiSimulator.qemuInstalled(), "no qemu-system-x86_64 (apt-get install qemu-system-x86)");
        bmc = IpmiSimulator.start(Files.createDirectories(dir.resolve("wired")), PASSWORD, null, IpmiSimulator::wiredMachine);
        var wired = client(PASSWORD);
        wired.powerOn();
        long machine = await().atMost(Duration.ofSeconds(20)).until(bmc::machine, java.util.Optional::isPresent).orElseThrow();
        // Taken once qemu has connected its system interface to the BMC, a moment after it starts.
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(wired::softOff);
        assertThat(wired.powerState()).as("asked, not cut").isEqualTo(PowerState.ON);
        assertThat(bmc.machine()).contains(machine);
        wired.powerOff();
        await().atMost(Duration.ofSeconds(20)).until(bmc::machine, java.util.Optional::isEmpty);
    }

    @Test
    void aWrongPasswordIsAnAuthenticationFailureThatDoesNotQuoteThePassword() {
        var wrong = "wrong-pw-77aa";
        assertThatThrownBy(() -> client(wrong).powerState())
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.AUTHENTICATION))
                .hasMessageContaining("refused user admin").hasMessageContaining("credentials Secret")
                .hasMessageNotContaining(wrong).hasMessageNotContaining(PASSWORD);
        assertThat(bmc.machine()).isEmpty();
    }

    @Test
    void noBmcAtTheAddressIsUnreachableWithinTheTimeout() throws Exception {
        int nothing;
        try (var socket = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            nothing = socket.getLocalPort();
        }
        var absent = new IpmiBmc("ipmitool", "127.0.0.1", nothing, 3, new BmcCredentials(IpmiSimulator.USER, PASSWORD, null), TIMEOUT);
        assertThatThrownBy(absent::powerState)
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.UNREACHABLE))
                .hasMessageContaining("127.0.0.1:" + nothing);
    }

    /** ps shows every process's command line to every user of the host: the password goes in the environment only. */
    @Test
    void thePasswordNeverReachesTheCommandLine() throws Exception {
        Path recorder = dir.resolve("fake-ipmitool");
        Path seen = dir.resolve("seen");
        Files.writeString(recorder, "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + seen + ".args\nprintf '%s' \"$IPMI_PASSWORD\" > " + seen
                + ".env\necho 'Chassis Power is on'\n");
        Files.setPosixFilePermissions(recorder, PosixFilePermissions.fromString("rwx------"));
        var ipmi = new IpmiBmc(recorder.toString(), "bmc-7.example.org", 623, null, new BmcCredentials("root", PASSWORD, null), TIMEOUT);

        assertThat(ipmi.powerState()).isEqualTo(PowerState.ON);

        assertThat(Files.readString(Path.of(seen + ".args"))).doesNotContain(PASSWORD).contains("-E").contains("lanplus")
                .contains("bmc-7.example.org").doesNotContain("-C");
        assertThat(Files.readString(Path.of(seen + ".env"))).isEqualTo(PASSWORD);
    }

    @Test
    void aChattyOrSilentIpmitoolIsBounded() throws Exception {
        Path chatty = dir.resolve("chatty-ipmitool");
        Files.writeString(chatty, "#!/bin/sh\nyes 'Chassis Power is maybe' | head -c 10000000\n");
        Files.setPosixFilePermissions(chatty, PosixFilePermissions.fromString("rwx------"));
        assertThatThrownBy(() -> new IpmiBmc(chatty.toString(), "h", 623, null, new BmcCredentials("u", PASSWORD, null), TIMEOUT).powerState())
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.BAD_ANSWER));

        Path silent = dir.resolve("silent-ipmitool");
        Files.writeString(silent, "#!/bin/sh\nexec sleep 600\n");
        Files.setPosixFilePermissions(silent, PosixFilePermissions.fromString("rwx------"));
        assertThatThrownBy(() -> new IpmiBmc(silent.toString(), "h", 623, null, new BmcCredentials("u", PASSWORD, null), Duration.ofSeconds(1))
                .powerState())
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.UNREACHABLE))
                .hasMessageContaining("did not answer within");
    }
}
