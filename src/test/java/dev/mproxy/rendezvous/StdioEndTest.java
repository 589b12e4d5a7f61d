package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mproxy.relay.ChannelEnd;
import dev.mproxy.relay.Relay;
import dev.mproxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link StdioEnd} relayed to a real loopback socket: how much of its input it reads ahead of the loop. */
@Timeout(30)
class StdioEndTest {

    private static final int CHUNK = 64 * 1024;
    private static final int CHUNKS = 32;

    private final EventLoopGroup group = Transport.newGroup(1);
    private final ExecutorService threads = Executors.newCachedThreadPool();
    /** Keeps the loop busy until counted down. */
    private final CountDownLatch busy = new CountDownLatch(1);

    @AfterEach
    void stop() {
        busy.countDown(); // also when an assertion failed while the loop was busy
        threads.shutdownNow();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void readerHandsTheLoopOneChunkAtATime() throws Exception {
        // a busy loop must not get every chunk stdin holds queued before the relay can stop reading it
        Input input = new Input();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<Integer> received = threads.submit(() -> {
                try (Socket s = server.accept()) {
                    s.shutdownOutput(); // nothing for stdout: that direction ends at once
                    return s.getInputStream().readAllBytes().length;
                }
            });
            EventLoop loop = group.next();
            Channel socket = new Bootstrap().group(loop).channel(Transport.socketChannel())
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // the relay's endpoint handler is added once connected
                        }
                    })
                    .connect(server.getLocalSocketAddress()).sync().channel();
            StdioEnd stdio = new StdioEnd(input, new ByteArrayOutputStream(), loop);
            CompletableFuture<Relay> finished = new CompletableFuture<>();
            loop.execute(() -> {
                // The busy task is queued before the reader starts, so even the first chunk's hand-off waits
                // behind it: queued after the join, a fast reader's first hand-off could run before it.
                loop.execute(() -> {
                    try {
                        busy.await(20, TimeUnit.SECONDS); // until the test has counted the reads
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                Relay.join(stdio, ChannelEnd.of(socket), null, finished::complete); // the reader starts reading
            });

            // the reader took a chunk, then waits for the loop (or, before, read all input and ended)
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> input.reads.get() >= 1
                    && input.reader.getState() == Thread.State.WAITING
                    || input.reader != null && input.reader.getState() == Thread.State.TERMINATED);
            assertEquals(1, input.reads.get(), "chunks read while the loop was busy");

            busy.countDown(); // and then the rest, all of it
            assertEquals(CHUNKS * CHUNK, received.get(20, TimeUnit.SECONDS));
            assertNull(finished.get(20, TimeUnit.SECONDS).failure());
        }
    }

    /** {@value #CHUNKS} full chunks, then the end; counts the reads and knows the thread that reads. */
    private static final class Input extends InputStream {
        final AtomicInteger reads = new AtomicInteger();
        volatile Thread reader;

        @Override
        public int read() {
            throw new UnsupportedOperationException("StdioEnd reads chunks");
        }

        @Override
        public int read(byte[] b, int off, int len) {
            reader = Thread.currentThread();
            if (reads.getAndIncrement() == CHUNKS) {
                return -1;
            }
            int n = Math.min(len, CHUNK);
            Arrays.fill(b, off, off + n, (byte) 'x');
            return n;
        }
    }
}
