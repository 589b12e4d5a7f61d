package dev.mproxy.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mproxy.protocol.StreamAddress;
import dev.mproxy.tunnel.StreamErrors;
import dev.mproxy.tunnel.StreamException;
import dev.mproxy.tunnel.StreamRequest;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which local service a stream gets, and which mappings are refused (protocol-spec/device-mappings.md). */
class MappingsTest {

    private static final StreamAddress CLIENT = new StreamAddress("IPv4", "203.0.113.9", "50010");
    private static final LocalService A = service(8001);
    private static final LocalService B = service(8002);

    @Test
    void serviceOfTheStreamPicksTheTable() throws StreamException {
        // mappings 1.1, 2.4
        Mappings m = Mappings.builder().tcp(443, A).https("app.example.com", B).build();
        assertSame(A, m.find(request("tcp", "443", "app.example.com")), "a tcp stream's name is not used");
        assertSame(B, m.find(request("https", "10443", "app.example.com")), "an https stream's port is not used");
        assertNoTarget(m, request("http", "443", "app.example.com"), "http name app.example.com");
    }

    /** Mappings 2.4: found by StreamTargetFuzzTest (seed finding-tcp-leading-zero): "022" found port 22's mapping. */
    @Test
    void aTcpPortNotInCanonicalDecimalFindsNothing() throws StreamException {
        Mappings m = Mappings.builder().tcp(22, A).build();
        assertSame(A, m.find(request("tcp", "22", "")));
        assertNoTarget(m, request("tcp", "022", ""), "tcp port 022");
        assertNoTarget(m, request("tcp", "+22", ""), "tcp port +22");
    }

    @Test
    void exactNameFirstThenTheLongestWildcard() throws StreamException {
        // mappings 2.2, 2.3
        LocalService exact = service(8003);
        Mappings m = Mappings.builder()
                .https("*.example.com", A)
                .https("*.lab.example.com", B)
                .https("pi.lab.example.com", exact)
                .build();
        assertSame(exact, m.find(request("https", "443", "pi.lab.example.com")));
        assertSame(B, m.find(request("https", "443", "x.y.lab.example.com")));
        assertSame(A, m.find(request("https", "443", "lab.example.com")), "a wildcard does not cover its base");
        assertSame(A, m.find(request("https", "443", "PI.Example.com.")), "case and one trailing dot");
        assertNoTarget(m, request("https", "443", "example.com"), "https name example.com");
    }

    @Test
    void noTargetNamesWhatWasAskedFor() {
        // mappings 3.1
        Mappings m = Mappings.builder().tcp(10022, A).http("app.example.com", B).build();
        assertNoTarget(m, request("tcp", "4999", ""), "tcp port 4999");
        assertNoTarget(m, request("tcp", "ssh", ""), "tcp port ssh");
        assertNoTarget(m, request("https", "443", "foo.example.com"), "https name foo.example.com");
        assertNoTarget(m, request("http", "80", ""), "http name (none)");
        assertNoTarget(m, request("ssh", "22", ""), "service 'ssh'");
    }

    @Test
    void eachPortAndEachNamePerServiceIsMappedOnce() throws StreamException {
        // mappings 1.3: names compare after normalisation; the same name may serve https and http
        Mappings.Builder b = Mappings.builder().tcp(10022, A).https("App.Example.com", A).http("app.example.com", B);
        assertEquals("public port 10022 is mapped twice",
                assertThrows(IllegalArgumentException.class, () -> b.tcp(10022, B)).getMessage());
        assertEquals("https name app.example.com is mapped twice",
                assertThrows(IllegalArgumentException.class, () -> b.https("APP.example.com", B)).getMessage());
        assertEquals("http name *.example.com is mapped twice", assertThrows(IllegalArgumentException.class,
                () -> b.http("*.example.com", A).http("*.Example.com", B)).getMessage());
        assertSame(A, b.build().find(request("https", "443", "app.example.com")), "the first mapping stays");
    }

    @Test
    void invalidNamesAndPortsAreRefused() {
        // mappings 2.1
        Mappings.Builder b = Mappings.builder();
        assertEquals("invalid domain a.*.example.com: '*' is allowed only as the whole first label, as in "
                + "*.example.com", assertThrows(IllegalArgumentException.class,
                        () -> b.https("a.*.example.com", A)).getMessage());
        assertEquals("invalid domain 10.0.0.1: its last label '1' is all digits (an IP address is not a name)",
                assertThrows(IllegalArgumentException.class, () -> b.http("10.0.0.1", A)).getMessage());
        assertEquals("public port 0 (expected: 1 to 65535)",
                assertThrows(IllegalArgumentException.class, () -> b.tcp(0, A)).getMessage());
    }

    @Test
    void tcpOnlyMappingsSendNoProxyHeader() throws StreamException {
        InetSocketAddress local = InetSocketAddress.createUnresolved("localhost", 22);
        Mappings m = Mappings.tcp(Map.of(10022, local));
        assertEquals(new LocalService(local, ProxyProtocol.NONE), m.find(request("tcp", "10022", "")));
    }

    private static void assertNoTarget(Mappings m, StreamRequest request, String asked) {
        StreamException e = assertThrows(StreamException.class, () -> m.find(request));
        assertEquals(StreamErrors.NO_TARGET, e.code());
        assertEquals("no local service is mapped to " + asked, e.getMessage());
    }

    private static StreamRequest request(String service, String servicePort, String name) {
        return new StreamRequest(CLIENT, service, servicePort, name);
    }

    private static LocalService service(int port) {
        return new LocalService(InetSocketAddress.createUnresolved("127.0.0.1", port), ProxyProtocol.NONE);
    }
}
