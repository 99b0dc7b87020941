package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ChunkBuffersTest {
    @Test
    void aBufferGivenBackIsHandedOutAgainCleared() {
        ChunkBuffers buffers = new ChunkBuffers(64, 2);
        ByteBuffer first = buffers.take();
        assertThat(first.isDirect()).isTrue();
        assertThat(first.capacity()).isEqualTo(64);
        first.put(new byte[10]).flip();
        buffers.give(first);
        assertThat(buffers.free()).isEqualTo(1);
        ByteBuffer again = buffers.take();
        assertThat(again).isSameAs(first);
        assertThat(again.position()).isZero();
        assertThat(again.limit()).isEqualTo(64);
        assertThat(buffers.allocated()).isEqualTo(1);
    }

    @Test
    void buffersBeyondTheFreeBoundAreLetGo() {
        ChunkBuffers buffers = new ChunkBuffers(16, 2);
        ByteBuffer a = buffers.take();
        ByteBuffer b = buffers.take();
        ByteBuffer c = buffers.take();
        buffers.give(a);
        buffers.give(b);
        buffers.give(c);
        assertThat(buffers.free()).isEqualTo(2);
        assertThat(buffers.allocated()).isEqualTo(3);
        assertThat(buffers.released()).as("the third one's memory freed at once, not left to the collector").isEqualTo(1);
    }

    @Test
    void refusesABufferThatIsNotOneOfItsOwn() {
        ChunkBuffers buffers = new ChunkBuffers(16, 2);
        assertThatThrownBy(() -> buffers.give(ByteBuffer.allocate(16))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> buffers.give(ByteBuffer.allocateDirect(8))).isInstanceOf(IllegalArgumentException.class);
        assertThat(buffers.free()).isZero();
    }
}
