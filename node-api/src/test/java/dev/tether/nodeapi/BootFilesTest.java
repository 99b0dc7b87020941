package dev.tether.nodeapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The boot's file list as the agent sends it: compact, within the node API's body limit, and read back whole. */
class BootFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIGEST = "sha256:" + "a".repeat(64);

    @Test
    void filesAreTheirDirectorysIndexAndNameAndComeBackInOrder() throws Exception {
        List<String> paths = List.of("/usr/lib/systemd/systemd", "/etc/hostname", "/usr/lib/systemd/libsystemd-shared.so",
                "/init");

        BootFiles files = BootFiles.of(DIGEST, paths, NodeApi.MAX_BODY_BYTES);
        String json = JSON.writeValueAsString(files);

        assertThat(json).contains("\"directories\":[\"/usr/lib/systemd\",\"/etc\",\"/\"]")
                .contains("\"files\":[[0,\"systemd\"],[1,\"hostname\"],[0,\"libsystemd-shared.so\"],[2,\"init\"]]");
        assertThat(JSON.readValue(json, BootFiles.class).paths()).containsExactlyElementsOf(paths);
        assertThat(files.truncated()).isFalse();
    }

    @Test
    void aListTooLargeForOneBodyIsCutAtTheEndAndSaysSo() throws Exception {
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            paths.add("/usr/share/dir" + (i % 300) + "/a-file-with-a \"quoted\" name-" + i);
        }

        BootFiles files = BootFiles.of(DIGEST, paths, NodeApi.MAX_BODY_BYTES);

        assertThat(JSON.writeValueAsBytes(files).length).isLessThanOrEqualTo(NodeApi.MAX_BODY_BYTES);
        assertThat(files.truncated()).isTrue();
        assertThat(files.paths()).isEqualTo(paths.subList(0, files.files().size()));
        assertThat(files.files().size()).isGreaterThan(500);
    }

    @Test
    void pathsTheOperatorWouldRefuseAreLeftOut() {
        BootFiles files = BootFiles.of(DIGEST, List.of("/ok", "relative", "/a/../b", "/new\nline", "/fine/too"),
                NodeApi.MAX_BODY_BYTES);

        assertThat(files.paths()).containsExactly("/ok", "/fine/too");
    }
}
