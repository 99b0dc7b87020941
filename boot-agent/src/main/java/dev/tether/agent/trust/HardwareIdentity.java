package dev.tether.agent.trust;

import dev.tether.nodeapi.ArmingRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * This machine as a NodeCredential lists it: the MACs of its network interfaces (not loopback) and its
 * SMBIOS system UUID, read from sysfs. The node API issues a key only to hardware it recognises.
 */
public record HardwareIdentity(List<String> macs, Optional<String> smbiosUuid) {
    private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** ARPHRD_LOOPBACK in /sys/class/net/*&#47;type. */
    private static final String LOOPBACK_TYPE = "772";

    public static final Path SYSFS = Path.of("/sys");

    public HardwareIdentity {
        macs = List.copyOf(macs);
    }

    /** Reads the identity under {@code sysfs} ({@code /sys}; tests give a directory laid out the same way). */
    public static HardwareIdentity read(Path sysfs) {
        TreeSet<String> macs = new TreeSet<>();
        Path net = sysfs.resolve("class/net");
        if (Files.isDirectory(net)) {
            try (Stream<Path> interfaces = Files.list(net)) {
                for (Path iface : interfaces.sorted().toList()) {
                    if (iface.getFileName().toString().equals("lo") || LOOPBACK_TYPE.equals(readLine(iface.resolve("type")))) {
                        continue;
                    }
                    String address = readLine(iface.resolve("address"));
                    if (address != null) {
                        String mac = address.toLowerCase(Locale.ROOT);
                        // Ethernet MACs only (InfiniBand's are 20 bytes), and not the all-zero address of tunnels.
                        if (MAC.matcher(mac).matches() && !mac.equals("00:00:00:00:00:00")) {
                            macs.add(mac);
                        }
                    }
                }
            } catch (IOException e) {
                // No interfaces readable: the SMBIOS UUID may still identify the machine.
            }
        }
        // product_uuid is readable by root only, which the agent is in the initramfs.
        String uuid = readLine(sysfs.resolve("class/dmi/id/product_uuid"));
        Optional<String> smbios = Optional.ofNullable(uuid).map(u -> u.toLowerCase(Locale.ROOT))
                .filter(u -> UUID.matcher(u).matches());
        return new HardwareIdentity(new ArrayList<>(macs), smbios);
    }

    public ArmingRequest request() {
        return new ArmingRequest(macs, smbiosUuid.orElse(null));
    }

    /** {@code MACs a, b; SMBIOS UUID u}, for messages. */
    public String describe() {
        return (macs.isEmpty() ? "no MAC" : "MAC" + (macs.size() == 1 ? " " : "s ") + String.join(", ", macs))
                + "; " + smbiosUuid.map(u -> "SMBIOS UUID " + u).orElse("no readable SMBIOS UUID");
    }

    private static String readLine(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
