package dev.mproxy.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mproxy.protocol.StreamAddress;
import dev.mproxy.tunnel.StreamErrors;
import dev.mproxy.tunnel.StreamException;
import dev.mproxy.tunnel.StreamRequest;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes what the connector makes of a stream the gateway opens (mappings §2-4): {@link Mappings#find} by
 * service, public port and name, and the PROXY protocol header {@link ProxyProtocol#header} writes from the
 * stream's client address. The fields are what the M-PROXY decoder lets through: any text without control
 * characters or commas (m-proxy-v1 rules 2.3, 2.4). For every stream:
 * <ul>
 *   <li>the only failures are {@link StreamException}s {@code E_NO_TARGET} and {@code E_PROTOCOL};</li>
 *   <li>a {@code tcp} stream finds the mapping of its public port only when the port is written as that number
 *       (mappings 2.4);</li>
 *   <li>a PROXY header decodes, as the local service's HAProxy decoder reads it, to the stream's client address
 *       and port, as written (mappings 4.4).</li>
 * </ul>
 */
class StreamTargetFuzzTest {

    private static final LocalService LOCAL = new LocalService(new InetSocketAddress("127.0.0.1", 2222),
            ProxyProtocol.V1);
    private static final Mappings MAPPINGS = Mappings.builder()
            .tcp(22, LOCAL)
            .tcp(8022, new LocalService(new InetSocketAddress("127.0.0.1", 2223), ProxyProtocol.V2))
            .https("pi.example.com", LOCAL)
            .https("*.example.net", LOCAL)
            .http("*.example.org", LOCAL)
            .build();

    @FuzzTest(maxDuration = "2m")
    void open(byte[] input) {
        String[] f = new String(input, StandardCharsets.UTF_8).replaceAll("[\\p{Cntrl},]", "").split("\u00a7", -1);
        String[] v = new String[6];
        for (int i = 0; i < v.length; i++) {
            v[i] = i < f.length ? f[i] : "";
        }
        StreamRequest request = new StreamRequest(new StreamAddress(v[0], v[1], v[2]), v[3], v[4], v[5]);
        try {
            MAPPINGS.find(request);
            if (request.service().equals("tcp")) {
                assertTrue(request.servicePort().equals("22") || request.servicePort().equals("8022"),
                        () -> "tcp port \"" + request.servicePort() + "\" found a mapping (mappings 2.4)");
            }
        } catch (StreamException e) {
            assertEquals(StreamErrors.NO_TARGET, e.code(), e.getMessage());
        }
        for (ProxyProtocol proxy : new ProxyProtocol[] {ProxyProtocol.V1, ProxyProtocol.V2}) {
            HAProxyMessage header;
            try {
                header = proxy.header(request);
            } catch (StreamException e) {
                assertEquals(StreamErrors.PROTOCOL, e.code(), e.getMessage());
                continue;
            }
            try {
                EmbeddedChannel out = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
                out.writeOutbound(header.retain());
                ByteBuf bytes = out.readOutbound();
                out.finishAndReleaseAll();
                EmbeddedChannel in = new EmbeddedChannel(new HAProxyMessageDecoder());
                in.writeInbound(bytes);
                HAProxyMessage read = in.readInbound();
                try {
                    assertEquals(request.client().port(), Integer.toString(read.sourcePort()),
                            "source port as the stream id wrote it (mappings 4.4)");
                    assertEquals(NetUtil.createInetAddressFromIpAddressString(header.sourceAddress()),
                            NetUtil.createInetAddressFromIpAddressString(read.sourceAddress()));
                } finally {
                    read.release();
                    in.finishAndReleaseAll();
                }
            } finally {
                header.release();
            }
        }
    }
}
