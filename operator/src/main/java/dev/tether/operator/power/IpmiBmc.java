package dev.tether.operator.power;

import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * IPMI 2.0 over LAN (RMCP+) through {@code ipmitool}, the distribution's client: RMCP+ session set-up (RAKP, its
 * integrity and confidentiality algorithms) is intricate cryptography that no well-kept Java library implements, while
 * ipmitool is packaged everywhere and also gives administrators Serial-over-LAN. The operator image therefore ships
 * ipmitool.
 *
 * <p>The password reaches ipmitool only through its environment ({@code -E} reads {@code IPMI_PASSWORD}), never the
 * command line that {@code ps} shows. Each call is bounded: ipmitool's own retries and timeout ({@code -R}, {@code -N}),
 * a wall-clock limit on the process, and at most {@value #OUTPUT_LIMIT} bytes of its output read.
 */
public final class IpmiBmc implements BmcClient {
    static final int OUTPUT_LIMIT = 16 * 1024;
    private static final Pattern STATUS = Pattern.compile("(?m)^Chassis Power is (on|off)\\s*$");

    private final String ipmitool;
    private final String address;
    private final int port;
    private final Integer cipherSuite;
    private final BmcCredentials credentials;
    private final Duration timeout;

    /**
     * @param ipmitool the program to run (a path, or a name looked up on PATH)
     * @param cipherSuite the RMCP+ cipher suite, or null to let ipmitool ask the BMC
     * @param timeout how long one ipmitool run may take, retries included
     */
    public IpmiBmc(String ipmitool, String address, int port, Integer cipherSuite, BmcCredentials credentials, Duration timeout) {
        this.ipmitool = ipmitool;
        this.address = address;
        this.port = port;
        this.cipherSuite = cipherSuite;
        this.credentials = credentials;
        this.timeout = timeout;
    }

    @Override
    public PowerState powerState() throws BmcException {
        String output = run("status");
        var matcher = STATUS.matcher(output);
        if (!matcher.find()) {
            throw new BmcException(BmcException.Kind.BAD_ANSWER, "ipmitool did not report the chassis power (" + lastLine(output) + ").");
        }
        return matcher.group(1).equals("on") ? PowerState.ON : PowerState.OFF;
    }

    @Override
    public void powerOn() throws BmcException {
        run("on");
    }

    @Override
    public void powerOff() throws BmcException {
        run("off");
    }

    /** IPMI's chassis control "soft shutdown" (ipmitool {@code chassis power soft}): an ACPI power button event. */
    @Override
    public void softOff() throws BmcException {
        run("soft");
    }

    /** A power cycle: off, a pause the BMC keeps (at least a second), on; every IPMI BMC offers it where a reset may be missing. */
    @Override
    public void reboot() throws BmcException {
        run("cycle");
    }

    private String run(String powerCommand) throws BmcException {
        var command = new ArrayList<>(List.of(ipmitool, "-v", "-I", "lanplus", "-H", address, "-p", Integer.toString(port),
                "-U", credentials.username(), "-E", "-N", "2", "-R", "2"));
        if (cipherSuite != null) {
            command.addAll(List.of("-C", cipherSuite.toString()));
        }
        command.addAll(List.of("chassis", "power", powerCommand));
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("IPMI_PASSWORD", credentials.password());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new BmcException(BmcException.Kind.UNREACHABLE, "cannot run " + ipmitool + " (is ipmitool installed in the operator's"
                    + " image?): " + e.getMessage());
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // ipmitool reads nothing from its input; a pipe that cannot be closed changes nothing.
        }
        var output = CompletableFuture.supplyAsync(() -> readBounded(process.getInputStream()), runnable -> Thread.ofVirtual().start(runnable));
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new BmcException(BmcException.Kind.UNREACHABLE, "the BMC at " + address + ":" + port + " did not answer within "
                        + timeout.toSeconds() + " s.");
            }
            String text = scrub(output.get(5, TimeUnit.SECONDS));
            if (process.exitValue() != 0) {
                throw failure(powerCommand, text);
            }
            return text;
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BmcException(BmcException.Kind.UNREACHABLE, "interrupted while asking the BMC at " + address);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new BmcException(BmcException.Kind.BAD_ANSWER, "could not read ipmitool's answer: " + e.getMessage());
        }
    }

    /** ipmitool says the same last line for a wrong password and for no answer; its verbose lines before it tell them apart. */
    private BmcException failure(String powerCommand, String output) {
        if (output.contains("RAKP 2 HMAC is invalid") || output.contains("unauthorized name")
                || output.contains("RAKP 2 message indicates an error")) {
            return new BmcException(BmcException.Kind.AUTHENTICATION, "the BMC at " + address + ":" + port + " refused user "
                    + credentials.username() + " or its password; fix the credentials Secret.");
        }
        if (output.contains("Unable to establish") || output.contains("Get Auth Capabilities error")
                || output.contains("Error issuing Get Channel Authentication Capabilities") || output.contains("No response")) {
            return new BmcException(BmcException.Kind.UNREACHABLE, "no IPMI session with the BMC at " + address + ":" + port
                    + " (no answer, or the cipher suite is not offered: see spec.bmc.ipmi.cipherSuite).");
        }
        return new BmcException(BmcException.Kind.REFUSED, "the BMC at " + address + ":" + port + " refused 'chassis power " + powerCommand
                + "': " + lastLine(output));
    }

    private String scrub(String text) {
        return credentials.password().isEmpty() ? text : text.replace(credentials.password(), "***");
    }

    private static String lastLine(String output) {
        String[] lines = output.strip().split("\n");
        String last = lines.length == 0 ? "" : lines[lines.length - 1].strip();
        return last.length() > 200 ? last.substring(0, 200) + "..." : last;
    }

    private static String readBounded(InputStream in) {
        try (in) {
            byte[] kept = in.readNBytes(OUTPUT_LIMIT);
            // Drain the rest unread, so a chatty ipmitool does not block on a full pipe before the timeout ends it.
            in.transferTo(OutputStream.nullOutputStream());
            return new String(kept, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
