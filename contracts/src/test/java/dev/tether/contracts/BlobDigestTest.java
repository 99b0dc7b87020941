package dev.tether.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BlobDigestTest {
    private static final String HEX = "0123456789abcdef".repeat(4);

    @Test
    void aDigestReadsAndWritesAsEverySideNamesIt() {
        BlobDigest digest = BlobDigest.parse("sha256:" + HEX);
        assertThat(digest.hex()).isEqualTo(HEX);
        assertThat(digest).hasToString("sha256:" + HEX);
        assertThat(digest.path()).isEqualTo("/blobs/sha256/" + HEX);
        assertThat(digest.shortForm()).isEqualTo("0123456789ab");
        assertThat(digest.etag()).isEqualTo("\"sha256:" + HEX + "\"");
        assertThat(BlobDigest.ofHexOrNull(HEX)).isEqualTo(digest);
    }

    @Test
    void theDigestOfContentIsItsSha256() throws Exception {
        byte[] sha256 = MessageDigest.getInstance("SHA-256").digest("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(BlobDigest.ofSha256(sha256).hex()).isEqualTo("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assertThatThrownBy(() -> BlobDigest.ofSha256(new byte[20])).hasMessageContaining("32 bytes");
    }

    /** The hex becomes a file name and a URL path: nothing that could leave its directory or split a line passes. */
    @ParameterizedTest
    @ValueSource(strings = {"sha256:../../../../etc/passwd", "sha256:", "sha512:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde/",
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\n",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
    void anythingElseIsRefused(String text) {
        assertThat(BlobDigest.isValid(text)).isFalse();
        assertThatThrownBy(() -> BlobDigest.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"..%2f..%2fetc", "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde.", ""})
    void aUrlsHexThatIsNotOneIsNoDigest(String hex) {
        assertThat(BlobDigest.ofHexOrNull(hex)).isNull();
    }

    @Test
    void nullIsNoDigest() {
        assertThat(BlobDigest.isValid(null)).isFalse();
        assertThatThrownBy(() -> BlobDigest.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
