package dev.tether.operator.power;

import java.util.Locale;

/** What the operator asks a BMC to do. */
public enum PowerAction {
    ON, OFF, REBOOT;

    /** As status and events spell it: on, off, reboot. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
