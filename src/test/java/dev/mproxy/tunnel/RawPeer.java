package dev.mproxy.tunnel;

import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.MproxyMessageDecoder;
import dev.mproxy.protocol.MproxyMessageEncoder;
import dev.mproxy.protocol.MproxyProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/** A peer speaking M-PROXY over a plain blocking socket, to drive one tunnel end message by message. */
final class RawPeer implements AutoCloseable {

    private final Socket socket;
    private final EmbeddedChannel decoder = new EmbeddedChannel(new MproxyMessageDecoder());

    RawPeer(InetSocketAddress address) throws IOException {
        socket = TunnelFixture.connect(address);
    }

    /** Sends {@code messages} in one write, so that the tunnel end usually reads them together; releases them. */
    void send(MproxyMessage... messages) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (MproxyMessage m : messages) {
            ByteBuf encoded = MproxyMessageEncoder.INSTANCE.encode(ByteBufAllocator.DEFAULT, m);
            try {
                bytes.write(ByteBufUtil.getBytes(encoded));
            } finally {
                encoded.release();
                m.release();
            }
        }
        socket.getOutputStream().write(bytes.toByteArray());
    }

    MproxyMessage receive() throws IOException {
        InputStream in = socket.getInputStream();
        byte[] chunk = new byte[4096];
        MproxyMessage m;
        while ((m = decoder.readInbound()) == null) {
            int n = in.read(chunk);
            if (n < 0) {
                throw new IOException("closed before a message arrived");
            }
            decoder.writeInbound(Unpooled.copiedBuffer(chunk, 0, n));
        }
        return m;
    }

    @Override
    public void close() throws IOException {
        try {
            decoder.finishAndReleaseAll();
        } catch (MproxyProtocolException cutShort) {
            // we hang up while the tunnel may still be sending: a cut-off last message is expected here
        }
        socket.close();
    }
}
