package dev.mproxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.logging.LogFormat;
import dev.mproxy.logging.Logging;
import dev.mproxy.testing.Loopback;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.tls.GatewayCertificate;
import dev.mproxy.tls.SelfSignedCertificateGenerator;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.tunnel.Grant;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Log lines as an operator reads them: one per event whatever a message holds, UTC times, a component,
 * key=value fields (separate fields in JSON), and one access log line per stream at its end with its numbers.
 */
@Timeout(60)
class LogLinesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        Logging.configure(Level.INFO, LogFormat.TEXT);
    }

    @Test
    void aMessageWithLineBreaksStaysOneEscapedLine() {
        Logging.configure(Level.INFO, LogFormat.TEXT, out);
        InternalLoggerFactory.getInstance(DeviceSession.class).warn("device={} said {}", "pi",
                "hello\n2026-01-01T00:00:00.000Z ERROR gateway forged\r\u001b[31m");
        String text = log();
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z WARN  gateway device=pi said "
                + "hello\\\\n2026-01-01T00:00:00\\.000Z ERROR gateway forged\\\\r\\\\u001b\\[31m\n"), text);
    }

    @Test
    void jsonHasEachKeyValueAsAField() throws Exception {
        Logging.configure(Level.INFO, LogFormat.JSON, out);
        InternalLoggerFactory.getInstance(DeviceSession.class).info("device={} connected remote={} why=\"a b\"",
                "pi", "127.0.0.1:5", new IllegalStateException("boom"));
        String text = log();
        assertEquals(1, text.lines().count(), text);
        JsonNode line = JSON.readTree(text);
        assertEquals("INFO", line.path("level").asText());
        assertEquals("gateway", line.path("component").asText());
        assertEquals("pi", line.path("device").asText());
        assertEquals("127.0.0.1:5", line.path("remote").asText());
        assertEquals("a b", line.path("why").asText());
        assertEquals("java.lang.IllegalStateException: boom", line.path("error").asText());
        assertFalse(line.has("stack"), "stack traces at debug only");
        assertTrue(line.path("time").asText().endsWith("Z"), text);
    }

    @Test
    void eachStreamLeavesOneAccessLineAtItsEndOnBothSides() throws Exception {
        GatewaySecret secret = TestSecrets.random();
        GatewayCertificate certificate = SelfSignedCertificateGenerator.generate(List.of("localhost"));
        Logging.configure(Level.INFO, LogFormat.JSON, out);
        int port = Loopback.freePort();
        try (ServerSocket service = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             GatewayServer gateway = new GatewayServer(GatewayConfig.newBuilder()
                     .listen(new InetSocketAddress("127.0.0.1", 0)).tls(TlsContexts.server(certificate))
                     .verifier(new TokenVerifier(secret, Clock.systemUTC())).publicBindHost("127.0.0.1")
                     .tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty()).build()).start()) {
            BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
            String token = new TokenSigner(secret, Clock.systemUTC()).sign(new DeviceToken("pi", List.of(port),
                    List.of(), null));
            try (Connector connector = new Connector(ConnectorConfig.newBuilder()
                    .gateway(URI.create("wss://localhost:" + gateway.deviceAddress().getPort() + "/")).token(token)
                    .tls(TlsContexts.clientPinned(certificate.fingerprint()))
                    .tcp(Map.of(port, (InetSocketAddress) service.getLocalSocketAddress()))
                    .maxBackoff(Duration.ofSeconds(2)).build(), grants::add).start()) {
                grants.poll(20, TimeUnit.SECONDS);
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port);
                     Socket local = service.accept()) {
                    client.getOutputStream().write(new byte[1000]);
                    client.shutdownOutput();
                    assertEquals(1000, local.getInputStream().readAllBytes().length);
                    local.getOutputStream().write(new byte[20]);
                    local.close();
                    assertEquals(20, client.getInputStream().readAllBytes().length);
                }
                await().atMost(10, TimeUnit.SECONDS).until(() -> accessLines().size() == 2);
                for (JsonNode line : accessLines()) {
                    assertEquals("pi", line.path("device").asText(), line.toString());
                    assertEquals("tcp", line.path("kind").asText(), line.toString());
                    assertEquals(port, line.path("port").asInt(), line.toString());
                    assertTrue(line.path("remote").asText().startsWith("127.0.0.1:"), line.toString());
                    assertEquals(1000, line.path("from_client").asLong(), line.toString());
                    assertEquals(20, line.path("from_server").asLong(), line.toString());
                    assertTrue(line.has("duration_ms"), line.toString());
                    assertEquals("closed", line.path("end").asText(), line.toString());
                }
            }
        }
    }

    private List<JsonNode> accessLines() {
        return log().lines().filter(l -> l.contains("\"component\":\"access\"")).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).collect(Collectors.toList());
    }

    private String log() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
