package dev.tether.origin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class UploadGrantTest {
    static final GrantKey KEY = GrantKey.derivedFrom("origin-token");
    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    @Test
    void aGrantChecksWithTheKeyThatSignedItUntilItExpires() {
        String token = new UploadGrant("hpc/bookworm/g3", NOW.plusSeconds(3600)).token(KEY);

        assertThat(UploadGrant.check(token, KEY, NOW)).isEqualTo(new UploadGrant.Valid(new UploadGrant("hpc/bookworm/g3", NOW.plusSeconds(3600))));
        assertThat(UploadGrant.check(token, KEY, NOW.plusSeconds(3600))).isInstanceOf(UploadGrant.Expired.class);
        assertThat(token).startsWith(UploadGrant.PREFIX).doesNotContain("origin-token");
    }

    @Test
    void anAlteredForgedOrForeignGrantIsInvalid() {
        String token = new UploadGrant("lab/bookworm/g1", NOW.plusSeconds(60)).token(KEY);
        String other = new UploadGrant("hpc/bookworm/g1", NOW.plusSeconds(60)).token(KEY);
        String[] parts = token.split("\\.");
        String[] otherParts = other.split("\\.");

        assertThat(UploadGrant.check(String.join(".", parts[0], otherParts[1], parts[2], parts[3]), KEY, NOW))
                .as("another build's name under this build's signature").isInstanceOf(UploadGrant.Invalid.class);
        assertThat(UploadGrant.check(String.join(".", parts[0], parts[1], "99999999999", parts[3]), KEY, NOW))
                .as("a later expiry").isInstanceOf(UploadGrant.Invalid.class);
        assertThat(UploadGrant.check(new UploadGrant("lab/bookworm/g1", NOW.plusSeconds(60)).token(GrantKey.derivedFrom("another")), KEY, NOW))
                .as("another installation's key").isInstanceOf(UploadGrant.Invalid.class);
        assertThat(UploadGrant.check("tug1.x.1.", KEY, NOW)).isInstanceOf(UploadGrant.Invalid.class);
        assertThat(UploadGrant.check("tug1.", KEY, NOW)).isInstanceOf(UploadGrant.Invalid.class);
        assertThat(UploadGrant.check("origin-token", KEY, NOW)).isInstanceOf(UploadGrant.Invalid.class);
        assertThat(KEY.toString()).doesNotContain("origin-token");
    }
}
