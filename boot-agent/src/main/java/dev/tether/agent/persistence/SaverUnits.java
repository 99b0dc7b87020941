package dev.tether.agent.persistence;

import dev.tether.agent.identity.NoFollowRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The node's saver, as systemd units written into the new root (the writable layer, made afresh at every boot):
 * <ul>
 *   <li>{@code tether-persistence-save.timer} runs {@code tether-persistence-save.service} every save interval (and
 *       once that long after boot): a save when the kept paths changed;</li>
 *   <li>{@code tether-persistence.service} does nothing when started and saves when stopped: at a clean shutdown it stops
 *       before the network does ({@code After=network-online.target}), and after every service ordered after it, so a
 *       service whose data is kept should say {@code After=tether-persistence.service}.</li>
 * </ul>
 * Both run the agent the image carries ({@code /usr/lib/tether/agent}), which reads the session the boot left in
 * {@code /run/tether/persistence}. An image without systemd gets no units; its administrator runs the same command from
 * cron and the shutdown scripts.
 */
final class SaverUnits {
    static final String AGENT = "/usr/lib/tether/agent/bin/tether-agent";
    static final String UNIT_DIR = "/etc/systemd/system";
    private static final List<String> SYSTEMD = List.of("usr/lib/systemd/systemd", "lib/systemd/systemd");

    private SaverUnits() {
    }

    /** @return false when the image has no systemd (no units written) */
    static boolean install(Path target, Duration interval) throws IOException {
        boolean systemd = SYSTEMD.stream().anyMatch(p -> Files.exists(target.resolve(p)));
        if (!systemd) {
            return false;
        }
        NoFollowRoot root = new NoFollowRoot(target);
        var mode = PosixFilePermissions.fromString("rw-r--r--");
        String save = AGENT + " persistence save";
        root.write(UNIT_DIR + "/tether-persistence.service", """
                [Unit]
                Description=Tether: save the kept paths at shutdown
                Documentation=https://tether.dev/docs/persistence
                Wants=network-online.target
                After=network-online.target remote-fs.target
                DefaultDependencies=no
                Conflicts=shutdown.target
                Before=shutdown.target

                [Service]
                Type=oneshot
                RemainAfterExit=yes
                ExecStart=/bin/true
                ExecStop=%s --final
                TimeoutStopSec=300

                [Install]
                WantedBy=multi-user.target
                """.formatted(save), mode, 0, 0);
        root.write(UNIT_DIR + "/tether-persistence-save.service", """
                [Unit]
                Description=Tether: save the kept paths if they changed
                After=network-online.target tether-persistence.service
                Requisite=tether-persistence.service

                [Service]
                Type=oneshot
                ExecStart=%s
                """.formatted(save), mode, 0, 0);
        long seconds = Math.max(60, interval.toSeconds());
        root.write(UNIT_DIR + "/tether-persistence-save.timer", """
                [Unit]
                Description=Tether: save the kept paths every %ds

                [Timer]
                OnActiveSec=%ds
                OnUnitInactiveSec=%ds
                AccuracySec=5s

                [Install]
                WantedBy=timers.target
                """.formatted(seconds, seconds, seconds), mode, 0, 0);
        enable(target, "multi-user.target.wants", "tether-persistence.service");
        enable(target, "timers.target.wants", "tether-persistence-save.timer");
        return true;
    }

    /** {@code systemctl enable}, by hand: the link in the wants directory. */
    private static void enable(Path target, String wants, String unit) throws IOException {
        String dir = UNIT_DIR + "/" + wants;
        Optional<String> blocked = new NoFollowRoot(target).whyNotWritable(dir + "/" + unit);
        if (blocked.isPresent()) {
            throw new IOException("cannot enable " + unit + ": " + blocked.get());
        }
        Path wantsDir = target.resolve(dir.substring(1));
        Files.createDirectories(wantsDir);
        Path link = wantsDir.resolve(unit);
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of(UNIT_DIR, unit));
    }
}
