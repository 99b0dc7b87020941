package dev.tether.agent.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The new root's {@code /etc/shadow}: root's password hash is replaced; every other field and line stays. */
final class ShadowFile {
    /** A crypt(3) hash ({@code $6$…}, {@code $y$…}) or a locked/empty marker; never a field separator or a newline. */
    private static final Pattern HASH = Pattern.compile("[!*]|[!]?\\$[A-Za-z0-9./$=,+-]{1,512}");

    private ShadowFile() {
    }

    static void setRootHash(Path root, String hash) throws IOException, TrustException {
        if (!HASH.matcher(hash).matches()) {
            throw new TrustException("the boot configuration's root password hash is not a crypt(3) hash ($6$..., $y$...);"
                    + " check the NodeProfile's root password hash Secret");
        }
        Path shadow = RootFiles.in(root, "/etc/shadow");
        if (!Files.exists(shadow)) {
            throw new TrustException("the image has no /etc/shadow, so the root password cannot be set; build the image"
                    + " with a base system (passwd package), or remove the NodeProfile's root password");
        }
        List<String> lines = new ArrayList<>(Files.readAllLines(shadow));
        boolean found = false;
        for (int i = 0; i < lines.size(); i++) {
            String[] fields = lines.get(i).split(":", -1);
            if (fields.length >= 2 && fields[0].equals("root")) {
                fields[1] = hash;
                lines.set(i, String.join(":", fields));
                found = true;
            }
        }
        if (!found) {
            throw new TrustException("the image's /etc/shadow has no line for root, so its password cannot be set;"
                    + " check the image");
        }
        RootFiles.replace(shadow, String.join("\n", lines) + "\n");
    }
}
