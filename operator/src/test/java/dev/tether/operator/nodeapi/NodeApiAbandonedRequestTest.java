package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.trust.HostKeySigner;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A request whose client gave up while it waited for a handler thread (in a boot storm, its 15 s timeout) is not
 * answered: its work would only delay the requests behind it, and an API key issued then would spend a {@code once}
 * credential on a key nobody receives, locking the node out until someone re-arms it.
 */
class NodeApiAbandonedRequestTest extends NodeApiTestBase {

    @Test
    void anApiKeyRequestWhoseClientHasGoneSpendsNoOnceCredential() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        var metrics = new SimpleMeterRegistry();
        var handlers = new HeldHandlers();
        try (var service = new NodeApiService(harness.client, harness.config, harness.operator().credentials(),
                new HostKeySigner(harness.operator().trust().sshCa()), metrics, Clock.systemUTC())) {
            var gone = new EmbeddedChannel(new NodeApiHandler(service, new HandlerPools(handlers, handlers)));
            gone.writeInbound(apiKeyRequest());
            gone.close();
            handlers.runAll();

            assertThat(gone.<Object>readOutbound()).as("no answer to nobody").isNull();
            assertThat(metrics.find(RequestTimings.ABANDONED).tag("endpoint", NodeApi.API_KEY).counter().count()).isEqualTo(1);
            assertThat(status("node-001").armed).as("the once credential still armed").isTrue();

            var waiting = new EmbeddedChannel(new NodeApiHandler(service, new HandlerPools(handlers, handlers)));
            waiting.writeInbound(apiKeyRequest());
            handlers.runAll();
            waiting.runPendingTasks();
            FullHttpResponse answer = waiting.readOutbound();
            assertThat(answer.status().code()).as("a client still there is answered").isEqualTo(200);
            answer.release();
            assertThat(status("node-001").armed).isFalse();
        }
    }

    private static DefaultFullHttpRequest apiKeyRequest() throws Exception {
        byte[] body = new ObjectMapper().writeValueAsBytes(new ArmingRequest(List.of(MAC), null));
        var request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                NodeApi.path(NAMESPACE, "node-001", NodeApi.API_KEY), Unpooled.wrappedBuffer(body));
        request.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json").setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return request;
    }

    /** Handler threads that take requests and run them only when the test says: the queue of a busy node API. */
    private static final class HeldHandlers extends AbstractExecutorService {
        private final Queue<Runnable> queue = new ArrayDeque<>();

        void runAll() {
            for (Runnable task; (task = queue.poll()) != null; ) {
                task.run();
            }
        }

        @Override
        public void execute(Runnable task) {
            queue.add(task);
        }

        @Override
        public void shutdown() {}

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }
}
