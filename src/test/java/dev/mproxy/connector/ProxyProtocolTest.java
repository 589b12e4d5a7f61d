package dev.mproxy.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mproxy.protocol.StreamAddress;
import dev.mproxy.tunnel.StreamErrors;
import dev.mproxy.tunnel.StreamException;
import dev.mproxy.tunnel.StreamRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The PROXY protocol header a mapping asks for, byte for byte (protocol-spec/device-mappings.md §4). */
class ProxyProtocolTest {

    private static final StreamRequest REQUEST = new StreamRequest(
            new StreamAddress("IPv4", "203.0.113.9", "50010"), "https", "443", "app.example.com");

    @Test
    void v1IsTheSpecsExampleLine() throws StreamException {
        // mappings 4.3, 4.4, 4.5
        assertEquals("PROXY TCP4 203.0.113.9 0.0.0.0 50010 443\r\n",
                new String(encode(ProxyProtocol.V1, REQUEST), StandardCharsets.US_ASCII));
    }

    @Test
    void v2IsTheSpecsExampleBytes() throws StreamException {
        // mappings 4.2 to 4.5
        String expected = "0d0a0d0a000d0a515549540a" // signature
                + "21"                                 // version 2, command PROXY
                + "11"                                 // TCP over IPv4
                + "000c"                               // 12 bytes of addresses
                + "cb007109"                           // source 203.0.113.9
                + "00000000"                           // destination 0.0.0.0
                + "c35a"                               // source port 50010
                + "01bb";                              // destination port 443
        assertEquals(expected, ByteBufUtil.hexDump(encode(ProxyProtocol.V2, REQUEST)));
    }

    @Test
    void ipv6ClientGetsTheUnspecifiedIpv6Destination() throws StreamException {
        StreamRequest request = new StreamRequest(new StreamAddress("IPv6", "2001:db8:0:0:0:0:0:7", "50011"),
                "http", "80", "app.example.com");
        assertEquals("PROXY TCP6 2001:db8:0:0:0:0:0:7 :: 50011 80\r\n",
                new String(encode(ProxyProtocol.V1, request), StandardCharsets.US_ASCII));
    }

    @Test
    void noneWritesNothing() throws StreamException {
        assertNull(ProxyProtocol.NONE.header(REQUEST));
    }

    @Test
    void streamIdsNoHeaderCanDescribeAreProtocolErrors() {
        // mappings 4.6
        assertProtocolError(new StreamAddress("IPv5", "203.0.113.9", "50010"), "443",
                "family 'IPv5' (expected: IPv4 or IPv6)");
        assertProtocolError(new StreamAddress("IPv6", "203.0.113.9", "50010"), "443",
                "invalid IPv6 address: 203.0.113.9");
        assertProtocolError(new StreamAddress("IPv4", "203.0.113.9", "70000"), "443",
                "port '70000' (expected: decimal digits 1 to 65535, no sign or leading zero)");
        assertProtocolError(new StreamAddress("IPv4", "203.0.113.9", "50010"), "https",
                "port 'https' (expected: decimal digits 0 to 65535, no sign or leading zero)");
    }

    /**
     * Mappings 4.6: found by StreamTargetFuzzTest (seed finding-ipv6-zone): Netty took "b8::1:1%" for an IPv6
     * address, so v1 wrote the zone into the header and v2 dropped it.
     */
    @Test
    void addressesInBracketsOrWithAZoneAreProtocolErrors() {
        assertProtocolError(new StreamAddress("IPv6", "fe80::1%eth0", "50010"), "443",
                "address 'fe80::1%eth0' (expected: an IP address without brackets or zone)");
        assertProtocolError(new StreamAddress("IPv6", "[2001:db8::7]", "50010"), "443",
                "address '[2001:db8::7]' (expected: an IP address without brackets or zone)");
    }

    /**
     * Mappings 4.6: a port is canonical decimal. Found by StreamTargetFuzzTest (seed finding-tcp-leading-zero): "+80"
     * and "022" were read as 80 and 22, so the header said another port than the stream id.
     */
    @Test
    void portsNotInCanonicalDecimalAreProtocolErrors() {
        assertProtocolError(new StreamAddress("IPv4", "203.0.113.9", "+80"), "443",
                "port '+80' (expected: decimal digits 1 to 65535, no sign or leading zero)");
        // found by StreamTargetFuzzTest (seed finding-client-port-zero): Netty's v1 reader refused the header
        assertProtocolError(new StreamAddress("IPv6", "2001::1", "0"), "443",
                "port '0' (expected: decimal digits 1 to 65535, no sign or leading zero)");
        assertProtocolError(new StreamAddress("IPv4", "203.0.113.9", "80"), "0443",
                "port '0443' (expected: decimal digits 0 to 65535, no sign or leading zero)");
    }

    private static void assertProtocolError(StreamAddress client, String servicePort, String why) {
        StreamRequest request = new StreamRequest(client, "tcp", servicePort, "");
        StreamException e = assertThrows(StreamException.class, () -> ProxyProtocol.V2.header(request));
        assertEquals(StreamErrors.PROTOCOL, e.code());
        assertEquals("cannot write a PROXY v2 header for " + request + ": " + why, e.getMessage());
    }

    /** The header as Netty's encoder writes it. */
    private static byte[] encode(ProxyProtocol version, StreamRequest request) throws StreamException {
        EmbeddedChannel ch = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        ch.writeOutbound(version.header(request));
        ByteBuf encoded = ch.readOutbound();
        try {
            return ByteBufUtil.getBytes(encoded);
        } finally {
            encoded.release();
            assertFalse(ch.finish());
        }
    }
}
