package dev.mproxy.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.RevokedTokens;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.gateway.GatewayConfig;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.testing.EchoService;
import dev.mproxy.testing.Loopback;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.testing.TestTrust;
import dev.mproxy.tls.GatewayCertificate;
import dev.mproxy.tls.SelfSignedCertificateGenerator;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.tunnel.Grant;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin listener over real HTTP, against a real gateway with a real connector and a device speaking
 * WebSocket through the JDK's own client (whose close status and reason the test reads): protocol-spec/admin.md.
 */
@Timeout(60)
class AdminServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    private final GatewaySecret secret = TestSecrets.random();
    private final TokenSigner signer = new TokenSigner(secret, Clock.systemUTC());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private EchoService echo;
    private GatewayServer gateway;
    private AdminServer admin;
    private AdminToken adminToken;
    private int devicePort;

    @BeforeEach
    void start() throws Exception {
        echo = new EchoService();
        startGateway();
        devicePort = Loopback.freePort();
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        String token = signer.sign(new DeviceToken("pi", List.of(devicePort), List.of("pi.example.com"), null));
        Connector connector = new Connector(ConnectorConfig.newBuilder()
                .gateway(URI.create("ws://127.0.0.1:" + gateway.deviceAddress().getPort() + "/")).token(token)
                .tcp(Map.of(devicePort, echo.address()))
                .maxBackoff(Duration.ofSeconds(1)).build(), grants::add).start();
        closeables.add(connector);
        assertEquals(List.of(devicePort), List.copyOf(grants.poll(20, TimeUnit.SECONDS).ports()));
    }

    private void startGateway() throws Exception {
        GatewayMetrics metrics = new GatewayMetrics();
        GatewayConfig config = GatewayConfig.newBuilder().listen(new InetSocketAddress("127.0.0.1", 0))
                .verifier(new TokenVerifier(secret, Clock.systemUTC(), RevokedTokens.load(dataDir)))
                .publicBindHost("127.0.0.1").tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty())
                .pingInterval(Duration.ofMillis(200)).pingTimeout(Duration.ofSeconds(30))
                .observer(metrics).admin(new InetSocketAddress("127.0.0.1", 0)).build();
        gateway = new GatewayServer(config).start();
        closeables.add(gateway);
        adminToken = AdminToken.loadOrCreate(dataDir);
        admin = new AdminServer(gateway, config, metrics, adminToken).start();
        closeables.add(admin);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        echo.close();
        threads.shutdownNow();
    }

    // admin 3.1, 3.2: the metrics move with real traffic
    @Test
    void metricsCountDevicesStreamsAndBytesOfRealTraffic() throws Exception {
        byte[] payload = new byte[300_000];
        new Random(15).nextBytes(payload);
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), devicePort)) {
            client.setSoTimeout(20_000);
            CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.getInputStream().readAllBytes();
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            }, threads);
            client.getOutputStream().write(payload);
            client.shutdownOutput();
            assertArrayEquals(payload, echoed.get(20, TimeUnit.SECONDS));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> value(metrics(), "mproxy_tunnel_rtt_seconds_count") >= 1);
        String metrics = metrics();
        assertEquals(1, value(metrics, "mproxy_devices_connected"));
        assertEquals(1, value(metrics, "mproxy_streams_opened_total{kind=\"tcp\"}"));
        assertEquals(300_000, value(metrics, "mproxy_bytes_total{direction=\"to_device\",kind=\"tcp\"}"));
        assertEquals(300_000, value(metrics, "mproxy_bytes_total{direction=\"from_device\",kind=\"tcp\"}"));
        assertEquals(300_000, value(metrics, "mproxy_device_bytes_total{device=\"pi\",direction=\"to_device\"}"));
        assertEquals(0, value(metrics, "mproxy_refusals_total{reason=\"bad_token\"}"));
        assertEquals(0, value(metrics, "mproxy_limit_refusals_total{reason=\"bad_token\"}"));
        assertEquals(0, value(metrics, "mproxy_limit_refusals_total{reason=\"too_many_connections\"}"));
        assertFalse(metrics.contains("127.0.0.1"), "no label holds a client address:\n" + metrics);

        // a bad token at the upgrade is an authentication failure and a refusal
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + gateway.deviceAddress().getPort() + "/")).header("Authorization", "Bearer a.b.c").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, refused.statusCode());
        metrics = metrics();
        assertEquals(1, value(metrics, "mproxy_auth_failures_total"));
        assertEquals(1, value(metrics, "mproxy_refusals_total{reason=\"bad_token\"}"));
        assertEquals(1, value(metrics, "mproxy_limit_refusals_total{reason=\"bad_token\"}")); // limits 4.2
    }

    // admin 3.2: a public client that stops reading makes the gateway pause the device's stream
    @Test
    void pausesAreCountedWhenAClientStopsReading() throws Exception {
        byte[] payload = new byte[16 * 1024 * 1024];
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), devicePort)) {
            client.setSoTimeout(30_000);
            CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
                try {
                    client.getOutputStream().write(payload);
                    client.shutdownOutput();
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            }, threads);
            // nothing is read yet: the echo comes back faster than this client takes it
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    value(metrics(), "mproxy_pause_events_total{by=\"gateway\"}") >= 1);
            assertEquals(payload.length, client.getInputStream().readAllBytes().length);
            written.get(30, TimeUnit.SECONDS);
        }
        JsonNode pi = api("GET", "/api/devices", null, 200).get(0);
        assertTrue(pi.get("pausesByGateway").asLong() >= 1, pi.toString());
    }

    // admin 3.3: the exposition passes Prometheus' own linter
    @Test
    void metricsPassPromtool() throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        assumeTrue(Files.isExecutable(promtool) || System.getenv("CI") != null,
                "promtool is not installed (Debian: apt-get install prometheus); .ci/run installs it");
        Path file = Files.writeString(dataDir.resolve("metrics.txt"), metrics());
        Process check = new ProcessBuilder(promtool.toString(), "check", "metrics")
                .redirectInput(file.toFile()).redirectErrorStream(true).start();
        String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(check.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, check.exitValue(), "promtool check metrics:\n" + output);
    }

    // admin 2.3, 2.4: the admin token, and only it, opens the API; health and readiness need none
    @Test
    void theApiNeedsTheAdminTokenAndRefusesADeviceToken() throws Exception {
        assertEquals(200, get("/healthz", null).statusCode());
        assertEquals(200, get("/readyz", null).statusCode());
        HttpResponse<String> none = get("/api/devices", null);
        assertEquals(401, none.statusCode());
        assertEquals("E_ADMIN_TOKEN_REQUIRED", JSON.readTree(none.body()).get("code").asText());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        String deviceToken = signer.sign(new DeviceToken("pi", List.of(devicePort), List.of(), null));
        HttpResponse<String> device = get("/metrics", deviceToken);
        assertEquals(401, device.statusCode());
        assertEquals("E_DEVICE_TOKEN", JSON.readTree(device.body()).get("code").asText());
        HttpResponse<String> wrong = get("/api/status", "x" + adminToken.value());
        assertEquals(401, wrong.statusCode());
        assertEquals("E_ADMIN_TOKEN_INVALID", JSON.readTree(wrong.body()).get("code").asText());
        assertEquals(200, get("/api/status", adminToken.value()).statusCode());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(adminToken.file())));
    }

    // admin 4.3, 4.4
    @Test
    void devicesAndTheirStreamsAreListed() throws Exception {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), devicePort)) {
            client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            client.getInputStream().readNBytes(5);
            JsonNode devices = api("GET", "/api/devices", null, 200);
            assertEquals(1, devices.size());
            JsonNode pi = devices.get(0);
            assertEquals("pi", pi.get("id").asText());
            assertEquals(List.of(devicePort), List.of(pi.get("ports").get(0).asInt()));
            assertEquals("pi.example.com", pi.get("names").get(0).asText());
            assertEquals(1, pi.get("tokens").size(), "the token's jti: " + pi);
            assertEquals(1, pi.get("streams").asInt());
            JsonNode streams = api("GET", "/api/devices/pi/streams", null, 200);
            assertEquals(1, streams.size());
            assertEquals("tcp", streams.get(0).get("kind").asText());
            assertEquals(5, streams.get(0).get("bytesToDevice").asLong());
            assertEquals("127.0.0.1:" + client.getLocalPort(), streams.get(0).get("client").asText());
        }
        assertEquals("E_NO_DEVICE", api("GET", "/api/devices/nobody/streams", null, 404).get("code").asText());
        JsonNode status = api("GET", "/api/status", null, 200);
        assertEquals(1, status.get("devices").asInt());
        assertTrue(status.get("ready").asBoolean());
    }

    // admin 4.5
    @Test
    void disconnectClosesTheDevicesTunnelWithPolicyViolation() throws Exception {
        WsDevice device = WsDevice.connect(http, gateway, signer.sign(new DeviceToken("kiosk", List.of(), List.of(),
                null)));
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.device("kiosk").isPresent());
        api("POST", "/api/devices/kiosk/disconnect", "", 200);
        assertEquals(1008, device.closeStatus());
        assertTrue(device.closeReason().contains("operator"), device.closeReason());
        assertTrue(gateway.device("pi").isPresent(), "other devices stay");
        assertEquals("E_NO_DEVICE", api("POST", "/api/devices/kiosk/disconnect", "", 404).get("code").asText());
    }

    // admin 5.1 to 5.4
    @Test
    void revocationClosesALiveTunnelAtOnceAndOutlivesARestart() throws Exception {
        String token = signer.sign(new DeviceToken("kiosk", List.of(), List.of(), null));
        WsDevice device = WsDevice.connect(http, gateway, token);
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.device("kiosk").isPresent());
        String jti = gateway.device("kiosk").orElseThrow().tokenIds().get(0);

        long start = System.nanoTime();
        JsonNode revoked = api("POST", "/api/tokens/revoke", "{\"jti\": \"" + jti + "\"}", 200);
        assertEquals(1, revoked.get("tunnelsClosed").asInt());
        assertEquals(1008, device.closeStatus());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1000, "kicked within a second");
        assertTrue(device.closeReason().contains("revoked"), device.closeReason());
        assertTrue(gateway.device("pi").isPresent(), "other devices stay");
        assertEquals(401, WsDevice.refusal(http, gateway, token));
        assertEquals(jti, api("GET", "/api/tokens/revoked", null, 200).get("tokens").get(0).get("jti").asText());
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dataDir.resolve(RevokedTokens.FILE_NAME))));

        // a restart reads the revocations back from the data dir
        admin.close();
        gateway.close();
        closeables.removeAll(List.of(admin, gateway));
        startGateway();
        assertEquals(401, WsDevice.refusal(http, gateway, token));

        // a device's revocation covers its tokens issued until then; one minted later is good
        WsDevice pi2 = WsDevice.connect(http, gateway, signer.sign(new DeviceToken("pi2", List.of(), List.of(), null)));
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.device("pi2").isPresent());
        api("POST", "/api/tokens/revoke", "{\"device\": \"pi2\"}", 200);
        assertEquals(1008, pi2.closeStatus());
        TokenSigner later = new TokenSigner(secret, Clock.offset(Clock.systemUTC(), Duration.ofSeconds(2)));
        WsDevice again = WsDevice.connect(http, gateway, later.sign(new DeviceToken("pi2", List.of(), List.of(),
                null)));
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.device("pi2").isPresent());
        again.close();
        assertEquals("E_BAD_REQUEST", api("POST", "/api/tokens/revoke", "{\"jti\": 5}", 400).get("code").asText());
    }

    // admin 2.1
    @Test
    void aNonLoopbackAdminAddressWithoutTlsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GatewayConfig.newBuilder()
                .verifier(new TokenVerifier(secret, Clock.systemUTC()))
                .admin(new InetSocketAddress("0.0.0.0", 7444)).build());
        assertTrue(e.getMessage().contains("needs TLS"), e.getMessage());
    }

    // admin 2.1: with a certificate the listener speaks TLS only
    @Test
    void withACertificateTheListenerServesHttpsOnly() throws Exception {
        GatewayCertificate certificate = SelfSignedCertificateGenerator.generate(List.of("localhost"));
        GatewayConfig config = GatewayConfig.newBuilder().listen(new InetSocketAddress("127.0.0.1", 0))
                .verifier(new TokenVerifier(secret, Clock.systemUTC())).publicBindHost("127.0.0.1")
                .tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty())
                .admin(new InetSocketAddress("127.0.0.1", 0)).adminTls(TlsContexts.server(certificate)).build();
        GatewayServer tlsGateway = new GatewayServer(config).start();
        closeables.add(tlsGateway);
        AdminServer tlsAdmin = new AdminServer(tlsGateway, config, new GatewayMetrics(), adminToken).start();
        closeables.add(tlsAdmin);
        assertTrue(tlsAdmin.isTls());
        HttpClient https = HttpClient.newBuilder().sslContext(TestTrust.clientTrusting(certificate))
                .connectTimeout(Duration.ofSeconds(10)).build();
        int port = tlsAdmin.address().getPort();
        HttpResponse<String> status = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
                + "/api/status")).header("Authorization", "Bearer " + adminToken.value()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, status.statusCode(), status.body());
        assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/healthz")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()),
                "no plain HTTP on a TLS listener");
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private String metrics() throws Exception {
        HttpResponse<String> response = get("/metrics", adminToken.value());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    /** The value of the sample {@code series} (name and labels exactly as written). */
    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        assertTrue(m.find(), series + " in:\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    private HttpResponse<String> get(String path, String bearer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(adminUri(path)).timeout(Duration.ofSeconds(20));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode api(String method, String path, String body, int status) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(adminUri(path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + adminToken.value())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(status, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + admin.address().getPort() + path);
    }

    /** A device that authenticates at the upgrade and only listens: the JDK's client tells how it was closed. */
    static final class WsDevice implements WebSocket.Listener {
        private final CompletableFuture<String> closed = new CompletableFuture<>();
        private volatile int status;
        private WebSocket socket;

        static WsDevice connect(HttpClient http, GatewayServer gateway, String token) throws Exception {
            WsDevice device = new WsDevice();
            device.socket = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .buildAsync(URI.create("ws://127.0.0.1:" + gateway.deviceAddress().getPort() + "/"), device)
                    .get(20, TimeUnit.SECONDS);
            return device;
        }

        /** The HTTP status the gateway refuses {@code token}'s upgrade with. */
        static int refusal(HttpClient http, GatewayServer gateway, String token) throws Exception {
            CompletableFuture<WebSocket> upgrade = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .buildAsync(URI.create("ws://127.0.0.1:" + gateway.deviceAddress().getPort() + "/"),
                            new WsDevice());
            Exception e = assertThrows(Exception.class, () -> upgrade.get(20, TimeUnit.SECONDS));
            Throwable cause = e.getCause();
            assertTrue(cause instanceof WebSocketHandshakeException, String.valueOf(cause));
            return ((WebSocketHandshakeException) cause).getResponse().statusCode();
        }

        int closeStatus() throws Exception {
            closed.get(10, TimeUnit.SECONDS);
            return status;
        }

        String closeReason() throws Exception {
            return closed.get(10, TimeUnit.SECONDS);
        }

        void close() {
            socket.abort();
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            webSocket.request(1); // hello and grant: read and dropped
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            status = statusCode;
            closed.complete(reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
