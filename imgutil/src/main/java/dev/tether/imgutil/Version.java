package dev.tether.imgutil;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** imgutil's version, from the build (recorded in every manifest as the builder). */
public final class Version {
    private static final String VERSION = load();

    private Version() {
    }

    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("/dev/tether/imgutil/version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
