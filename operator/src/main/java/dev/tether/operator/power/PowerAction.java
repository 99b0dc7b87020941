package dev.tether.operator.power;

import java.util.Locale;

/** What the operator asks a BMC to do. */
public enum PowerAction {
    ON, OFF, REBOOT,
    /** A request to the node to shut down (the ACPI power button); the power stays on until the node turns it off. */
    SOFT_OFF;

    /** As status and events spell it: on, off, reboot, soft-off. */
    public String word() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
