package dev.tether.content.boot;

import dev.tether.content.http.Exchange;
import dev.tether.content.http.RangeResponder;
import dev.tether.content.store.StoredBlob;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The boot files an edge serves besides blobs: the iPXE script for a MAC address
 * ({@code /boot/ipxe?mac=…}) and a profile's addon archive ({@code /boot/<profile>/addon.cpio}).
 * URLs in the script are built from the request's Host, so a node fetches everything from the edge
 * it asked.
 */
public final class BootScriptHandler {
    private static final Pattern ADDON = Pattern.compile("/boot/([a-z0-9][-a-z0-9.]{0,252})/addon\\.cpio");
    private static final Pattern HOST = Pattern.compile("([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\])(:[0-9]{1,5})?");
    private static final int RETRY_SECONDS = 10;

    private final Supplier<LoadedBootConfig> config;

    public BootScriptHandler(Supplier<LoadedBootConfig> config) {
        this.config = config;
    }

    public void serve(Exchange x, String path) {
        if (path.equals("/boot/ipxe")) {
            script(x);
            return;
        }
        Matcher m = ADDON.matcher(path);
        if (m.matches()) {
            addon(x, m.group(1));
            return;
        }
        x.respond(HttpResponseStatus.NOT_FOUND, "boot files are /boot/ipxe?mac=<mac> and /boot/<profile>/addon.cpio");
    }

    private void script(Exchange x) {
        String host = x.header(HttpHeaderNames.HOST);
        if (host == null || !HOST.matcher(host).matches()) {
            x.respond(HttpResponseStatus.BAD_REQUEST, "a valid Host header is needed to build the script's URLs");
            return;
        }
        String base = (x.tls() ? "https://" : "http://") + host;
        LoadedBootConfig c = config.get();
        String macParam = x.queryParameter("mac");
        MacAddress mac = MacAddress.parseOrNull(macParam);
        String script;
        if (mac == null) {
            script = retry(base, "Tether: the request named no valid MAC address (got " + echoable(macParam) + ").",
                    "Chain " + base + "/boot/ipxe?mac=${mac} so the edge sees this machine's MAC.");
        } else {
            LoadedBootConfig.NodeEntry node = c.nodes().get(mac);
            if (node == null && c.discovery().filter(d -> d.admits(mac)).isPresent()) {
                script = register(base, c, mac, c.profiles().get(c.discovery().get().profile()));
            } else if (node == null) {
                script = retry(base, "Tether: no NodeCredential lists MAC " + mac + ".",
                        "Create a NodeCredential for this machine with " + mac + " among its MACs.");
            } else {
                script = boot(base, c, node, c.profiles().get(node.profile()));
            }
        }
        x.respond(HttpResponseStatus.OK, "text/plain; charset=utf-8", script.getBytes(StandardCharsets.UTF_8));
    }

    private static String boot(String base, LoadedBootConfig c, LoadedBootConfig.NodeEntry node, LoadedBootConfig.Profile p) {
        return kernelScript(base, c, p, "tether.node=" + node.node(),
                "Tether: booting " + node.node() + " with profile " + p.name() + " (" + p.method() + ")");
    }

    /**
     * An unknown machine under the discovery profile's prefixes boots that profile's kernel and initramfs with
     * {@code tether.discover=<the MAC it asked with>} instead of a node name: its agent registers what the machine is,
     * that MAC first, waits to be enrolled, then reboots into {@link #boot}.
     */
    private static String register(String base, LoadedBootConfig c, MacAddress mac, LoadedBootConfig.Profile p) {
        return kernelScript(base, c, p, "tether.discover=" + mac,
                "Tether: no NodeCredential lists MAC " + mac + "; registering it with profile " + p.name());
    }

    private static String kernelScript(String base, LoadedBootConfig c, LoadedBootConfig.Profile p, String who, String banner) {
        String edges = c.edgeUrls().isEmpty() ? base : String.join(",", c.edgeUrls());
        StringBuilder cmdline = new StringBuilder()
                .append("initrd=initramfs initrd=addon")
                .append(' ').append(who)
                .append(" tether.profile=").append(p.name())
                .append(" tether.method=").append(p.method())
                .append(" tether.edges=").append(edges)
                .append(" tether.image=").append(p.image())
                .append(" boot=tether");
        if (!p.kernelArgs().isEmpty()) {
            cmdline.append(' ').append(p.kernelArgs());
        }
        return "#!ipxe\n"
                + "echo " + banner + "\n"
                + "kernel " + base + p.kernel().path() + " " + cmdline + "\n"
                + "initrd --name initramfs " + base + p.initramfs().path() + "\n"
                + "initrd --name addon " + base + "/boot/" + p.name() + "/addon.cpio\n"
                + "boot\n";
    }

    /** A script that tells the console what is wrong and asks again later, so fixing it needs no reboot. */
    private static String retry(String base, String problem, String remedy) {
        return "#!ipxe\n"
                + "echo " + problem + "\n"
                + "echo " + remedy + "\n"
                + "echo Retrying in " + RETRY_SECONDS + " s.\n"
                + "sleep " + RETRY_SECONDS + "\n"
                + "chain " + base + "/boot/ipxe?mac=${mac}\n";
    }

    /** Client input shown on a console through an iPXE script: no settings expansion, no line breaks. */
    private static String echoable(String s) {
        if (s == null || s.isEmpty()) {
            return "nothing";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 32; i++) {
            char c = s.charAt(i);
            b.append(Character.isLetterOrDigit(c) && c < 0x80 || c == ':' || c == '-' ? c : '?');
        }
        return b.toString();
    }

    private void addon(Exchange x, String profileName) {
        LoadedBootConfig c = config.get();
        LoadedBootConfig.Profile p = c.profiles().get(profileName);
        if (p == null || p.addonFile() == null) {
            x.respond(HttpResponseStatus.NOT_FOUND, "no addon archive for profile " + profileName);
            return;
        }
        // The file name was validated at load (no separators); resolving keeps it in the directory.
        Path file = c.directory().resolve(p.addonFile()).normalize();
        if (!file.getParent().equals(c.directory().normalize())) {
            x.respond(HttpResponseStatus.NOT_FOUND, "no addon archive for profile " + profileName);
            return;
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            x.respond(HttpResponseStatus.NOT_FOUND, "the addon archive of profile " + profileName + " is not on this edge yet");
            return;
        }
        String etag = "\"" + Long.toHexString(a.lastModifiedTime().toMillis()) + "-" + Long.toHexString(a.size()) + "\"";
        RangeResponder.send(x, new StoredBlob(file, a.size(), () -> { }), etag, false);
    }
}
