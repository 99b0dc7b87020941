package dev.tether.agent;

/**
 * Not a failure: an unknown machine registered and has been enrolled, and must now reboot so that the edge's script
 * boots it as the node it is. The boot command exits with {@code tether-agent}'s reboot status, which the
 * initramfs scripts answer by rebooting.
 */
public final class MachineEnrolled extends BootFailure {
    private static final long serialVersionUID = 1L;

    private final String nodeName;

    public MachineEnrolled(String nodeName) {
        super("register", "this machine is now node " + nodeName + "; rebooting to boot as it", null);
        this.nodeName = nodeName;
    }

    public String nodeName() {
        return nodeName;
    }
}
