package dev.mproxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where {@link DevicePlacement} registers device connections, over real sockets: one at a time on the accepting
 * loop, held from accept to close, the others on the other workers.
 */
@Timeout(30)
class DevicePlacementTest {

    private final EventLoopGroup workers = Transport.newGroup(3);
    private final EventLoop accepting = (EventLoop) workers.iterator().next();
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    private final List<Socket> clients = new ArrayList<>();
    private Channel listener;

    @AfterEach
    void stop() throws Exception {
        for (Socket client : clients) {
            client.close();
        }
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Whether a connection counts as a device's tunnel; none do unless a test says so. */
    private volatile Predicate<Channel> isDevice = ch -> false;
    private Duration handshakeTimeout = Duration.ofSeconds(30);

    private Channel connect() throws Exception {
        if (listener == null) {
            ChannelInitializer<SocketChannel> recordLoop = new ChannelInitializer<>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    accepted.add(ch);
                }
            };
            listener = Transport.bind(new ServerBootstrap().group(accepting, workers).channel(Transport.serverChannel())
                    .handler(new DevicePlacement(accepting, workers, recordLoop, handshakeTimeout,
                            ch -> isDevice.test(ch)))
                    .childHandler(recordLoop), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null);
        }
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        clients.add(new Socket(InetAddress.getLoopbackAddress(), port));
        Channel child = accepted.poll(10, TimeUnit.SECONDS);
        assertNotNull(child, "no connection accepted");
        return child;
    }

    @Test
    void oneDeviceConnectionAtATimeIsOnTheAcceptingLoopUntilItCloses() throws Exception {
        Channel first = connect();
        assertSame(accepting, first.eventLoop(), "the first device connection takes the accepting loop");
        Channel second = connect();
        Channel third = connect();
        assertNotSame(accepting, second.eventLoop(), "the place is held while the first is open");
        assertNotSame(accepting, third.eventLoop());
        assertNotSame(second.eventLoop(), third.eventLoop(), "the others go to the other workers in turn");

        second.close().syncUninterruptibly();
        assertNotSame(accepting, connect().eventLoop(), "another connection's close frees nothing");

        first.close().syncUninterruptibly();
        assertSame(accepting, connect().eventLoop(), "the place is free again once its holder closed");
        assertEquals(0, accepted.size());
    }

    @Test
    void aConnectionThatIsNoDeviceByTheHandshakeTimeoutGivesThePlaceUp() throws Exception {
        handshakeTimeout = Duration.ofMillis(200);
        Channel relayPeer = connect();
        assertSame(accepting, relayPeer.eventLoop());
        assertNotSame(accepting, connect().eventLoop(), "held until the timeout");
        // still open: the place comes back because it never became a device's tunnel
        await().atMost(Duration.ofSeconds(10)).until(() -> connect().eventLoop() == accepting);
        assertTrue(relayPeer.isOpen());
    }

    @Test
    void aDeviceKeepsThePlacePastTheHandshakeTimeout() throws Exception {
        handshakeTimeout = Duration.ofMillis(100);
        Channel device = connect();
        isDevice = ch -> ch == device;
        assertSame(accepting, device.eventLoop());
        Channel probe = connect();
        // the loop runs scheduled tasks in deadline order: once this one has run, so has the device's check
        accepting.schedule(() -> { }, handshakeTimeout.toMillis() + 1, TimeUnit.MILLISECONDS).sync();
        probe.close().syncUninterruptibly();
        assertNotSame(accepting, connect().eventLoop(), "the device holds the place");
    }
}
