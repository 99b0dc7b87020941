package dev.tether.operator.image;

import dev.tether.content.http.HttpSettings;
import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import dev.tether.operator.OperatorHarness;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A real origin on loopback with its store in a temporary directory, and the operator against the mock API using it. */
abstract class WithOriginTestBase {
    static final String TOKEN = "origin-token-for-tests";

    @TempDir
    Path store;
    OriginServer origin;
    OperatorHarness harness;
    String originUrl;

    @BeforeEach
    void startOriginAndOperator() throws Exception {
        origin = OriginServer.start(new OriginServer.Config(store, BearerToken.of(TOKEN),
                new InetSocketAddress("127.0.0.1", 0), null, HttpSettings.defaults(), 1));
        originUrl = "http://127.0.0.1:" + origin.port();
        harness = new OperatorHarness(originUrl, TOKEN);
    }

    @AfterEach
    void stopOriginAndOperator() {
        harness.close();
        origin.close();
    }
}
