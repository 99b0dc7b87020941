package dev.tether.content.edge;

import dev.tether.content.store.ServableBlob;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;

/**
 * A blob whose fill is still running. Its bodies are {@link ChunkedInput}s that hand out the bytes
 * already written and, when they reach the fill's frontier, return nothing and ask the fill to
 * resume the {@link ChunkedWriteHandler} when more arrives: range requests for fetched parts are
 * answered at once and the others wait, without a second fetch.
 *
 * <p>A source's bytes are verified only when all have arrived. If they fail, a reader that has
 * already sent some of them is cut off (the bytes cannot be taken back; the node's per-chunk AEAD
 * rejects them anyway), while a reader that has not carries on with the next source's bytes. A
 * body that covers the whole blob (iPXE fetching a kernel) holds back its last chunk until the fill
 * is verified, so such a download only ever completes with verified content.
 */
final class FillingBlob implements ServableBlob {
    private static final int CHUNK = 128 * 1024;

    private final CacheFill fill;
    private final long size;

    FillingBlob(CacheFill fill, long size) {
        this.fill = fill;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public Object body(long offset, long length, boolean tls, ChannelHandlerContext ctx) {
        return new Input(offset, length, length == size, ctx.pipeline().get(ChunkedWriteHandler.class));
    }

    @Override
    public void release() {
        // Nothing pinned: readers hold their own descriptors, which outlive a rename or an eviction.
    }

    private final class Input implements ChunkedInput<ByteBuf> {
        private final long start;
        private final long end;
        private final Runnable resume;
        private final boolean wholeBlob;
        private long pos;
        private FillAttempt attempt;
        private FileChannel file;
        private boolean sentFromAttempt;

        Input(long offset, long length, boolean wholeBlob, ChunkedWriteHandler writer) {
            this.wholeBlob = wholeBlob;
            this.start = offset;
            this.end = offset + length;
            this.pos = offset;
            this.resume = writer::resumeTransfer;
        }

        @Override
        public boolean isEndOfInput() {
            return pos >= end;
        }

        @Override
        public ByteBuf readChunk(ByteBufAllocator alloc) throws Exception {
            if (pos >= end) {
                return null;
            }
            long available = available();
            if (available <= pos || holdingTail(available)) {
                fill.await(resume);
                // Progress between the check and the registration would otherwise be missed.
                available = available();
                if (available <= pos || holdingTail(available)) {
                    return null;
                }
            }
            if (file == null) {
                file = open(attempt);
            }
            int n = (int) Math.min(CHUNK, Math.min(available, end) - pos);
            ByteBuf buf = alloc.ioBuffer(n);
            try {
                while (buf.writerIndex() < n) {
                    if (buf.writeBytes(file, pos + buf.writerIndex(), n - buf.writerIndex()) < 0) {
                        throw new IOException("unexpected end of the partly filled " + fill.digest());
                    }
                }
            } catch (IOException | RuntimeException e) {
                buf.release();
                throw e;
            }
            pos += n;
            sentFromAttempt = true;
            return buf;
        }

        /** Whether the next chunk would end a whole-blob body before the fill was verified. */
        private boolean holdingTail(long available) {
            return wholeBlob && Math.min(available, pos + CHUNK) >= end && !fill.stored();
        }

        /** How far the bytes this reader may use reach; switches to a newer attempt if it can. */
        private long available() throws IOException {
            if (fill.failure() != null) {
                throw new IOException(fill.failure().getMessage());
            }
            FillAttempt current = fill.attempt();
            if (current != attempt) {
                if (attempt != null && sentFromAttempt) {
                    throw new IOException(attempt.source + " sent bytes of " + fill.digest()
                            + " that failed verification after part of them was sent; request again");
                }
                if (current != null && current.size != size) {
                    // This answer was begun with an earlier source's size, which a peer may have lied about.
                    throw new IOException(current.source + " announces " + current.size + " bytes of " + fill.digest()
                            + ", where this answer was begun with " + size + "; request again");
                }
                closeFile();
                attempt = current;
                sentFromAttempt = false;
            }
            if (attempt == null) {
                return 0;
            }
            if (attempt.discarded()) {
                if (sentFromAttempt) {
                    throw new IOException(attempt.source + " sent bytes of " + fill.digest()
                            + " that failed verification after part of them was sent; request again");
                }
                return 0;
            }
            return attempt.written();
        }

        private FileChannel open(FillAttempt a) throws IOException {
            try {
                return FileChannel.open(a.path, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                // The attempt's file is gone when the fill committed it to the store, an atomic move, which comes
                // before the fill says it is stored: look there, not at the flag, or a reader arriving between the two
                // fails before its answer's first byte (a healthy edge dropping connections, seen on a busy machine).
                try {
                    return FileChannel.open(fill.storedPath(), StandardOpenOption.READ);
                } catch (NoSuchFileException notStored) {
                    e.addSuppressed(notStored);
                    throw e;
                }
            }
        }

        private void closeFile() {
            if (file != null) {
                try {
                    file.close();
                } catch (IOException ignored) {
                    // read-only descriptor
                }
                file = null;
            }
        }

        @Deprecated
        @Override
        public ByteBuf readChunk(ChannelHandlerContext ctx) throws Exception {
            return readChunk(ctx.alloc());
        }

        @Override
        public void close() {
            closeFile();
        }

        @Override
        public long length() {
            return end - start;
        }

        @Override
        public long progress() {
            return pos - start;
        }
    }
}
