package dev.tether.operator.power;

import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;

/**
 * A node's baseboard management controller, as the operator talks to it. Every call is bounded in time and in what it
 * reads; a failure is a {@link BmcException} whose message a person can act on and that holds no credential.
 */
public interface BmcClient extends AutoCloseable {
    /** The chassis power as the BMC reports it now. */
    PowerState powerState() throws BmcException;

    /** Powers the node on (a no-op for most BMCs when it is on). */
    void powerOn() throws BmcException;

    /** Cuts the power at once, as holding the power button would: the node gets no chance to shut down. */
    void powerOff() throws BmcException;

    /**
     * Asks the node to shut down, as a short press of the power button does (an ACPI power button event its operating
     * system may act on, or not); returns once the BMC has taken the request, not when the node is off.
     */
    void softOff() throws BmcException;

    /** Restarts a node that is on: a hard reset or a power cycle, whichever the protocol offers as its reboot. */
    void reboot() throws BmcException;

    /** Frees what a talk with the BMC held (an HTTP client); the BMC itself is left as it is. */
    @Override
    default void close() {}
}
