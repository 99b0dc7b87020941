package dev.tether.agent.image;

import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.ResponseInfo;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Takes the answer to one range request: checks the head with {@link RangeCheck}, then collects exactly
 * {@code length} bytes into one buffer. A wrong head, a longer or a shorter body fails the exchange with
 * an {@link EdgeFailure}; the connection of a failed exchange is not reused.
 */
final class RangeBodyHandler implements HttpResponse.BodyHandler<RangeBody> {
    private final long offset;
    private final int length;

    RangeBodyHandler(long offset, int length) {
        this.offset = offset;
        this.length = length;
    }

    @Override
    public BodySubscriber<RangeBody> apply(ResponseInfo info) {
        try {
            long size = RangeCheck.check(info.statusCode(), info.headers(), offset, length);
            return new Collector(length, size);
        } catch (EdgeFailure e) {
            return new Refusal(e);
        }
    }

    /** Collects the body into a buffer of exactly the expected size. */
    private static final class Collector implements BodySubscriber<RangeBody> {
        private final ByteBuffer buffer;
        private final long blobSize;
        private final CompletableFuture<RangeBody> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        Collector(int length, long blobSize) {
            this.buffer = ByteBuffer.allocate(length);
            this.blobSize = blobSize;
        }

        @Override
        public CompletionStage<RangeBody> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer item : items) {
                if (item.remaining() > buffer.remaining()) {
                    subscription.cancel();
                    result.completeExceptionally(new EdgeFailure("sent more than the " + buffer.capacity()
                            + " bytes of the range"));
                    return;
                }
                buffer.put(item);
            }
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            if (buffer.hasRemaining()) {
                result.completeExceptionally(new EdgeFailure("ended the body after " + buffer.position() + " of "
                        + buffer.capacity() + " bytes"));
            } else {
                result.complete(new RangeBody(buffer.flip(), blobSize));
            }
        }
    }

    /** Refuses a body whose head was wrong, without reading it. */
    private static final class Refusal implements BodySubscriber<RangeBody> {
        private final CompletableFuture<RangeBody> result = new CompletableFuture<>();

        Refusal(EdgeFailure failure) {
            result.completeExceptionally(failure);
        }

        @Override
        public CompletionStage<RangeBody> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.cancel();
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
        }

        @Override
        public void onError(Throwable error) {
        }

        @Override
        public void onComplete() {
        }
    }
}
