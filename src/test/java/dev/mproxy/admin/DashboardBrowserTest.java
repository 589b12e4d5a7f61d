package dev.mproxy.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.RevokedTokens;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.gateway.GatewayConfig;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.rendezvous.MeshCentralInterop;
import dev.mproxy.testing.Loopback;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.tunnel.Grant;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in Debian's headless Chromium, driven by playwright-core (the packages MeshCentralInteropTest
 * installs): a real gateway with two real connectors carrying traffic and a third device; the page shows them
 * live, fits a phone, and its Disconnect button makes a device disappear. The screenshot is kept as
 * {@code target/dashboard.png} (the README's is a copy).
 */
@Tag("interop")
@Timeout(900) // the first run installs the npm packages (up to 10 minutes)
class DashboardBrowserTest {

    static final Path SCREENSHOT = Path.of("target", "dashboard.png");

    @TempDir
    Path dataDir;

    private final GatewaySecret secret = TestSecrets.random();
    private final TokenSigner signer = new TokenSigner(secret, Clock.systemUTC());
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final AtomicBoolean traffic = new AtomicBoolean(true);

    @AfterEach
    void stop() throws Exception {
        traffic.set(false);
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        threads.shutdownNow();
    }

    @Test
    void theDashboardShowsDevicesLiveAndDisconnectsOne() throws Exception {
        MeshCentralInterop.install();
        ServerSocket echo = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        closeables.add(echo);
        threads.submit(() -> {
            while (!echo.isClosed()) {
                Socket s = echo.accept();
                threads.submit(() -> {
                    try (s) {
                        s.getInputStream().transferTo(s.getOutputStream());
                    }
                    return null;
                });
            }
            return null;
        });
        GatewayMetrics metrics = new GatewayMetrics();
        GatewayConfig config = GatewayConfig.newBuilder().listen(new InetSocketAddress("127.0.0.1", 0))
                .verifier(new TokenVerifier(secret, Clock.systemUTC(), RevokedTokens.load(dataDir)))
                .publicBindHost("127.0.0.1").tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty())
                .pingInterval(Duration.ofSeconds(1)).pingTimeout(Duration.ofSeconds(30))
                .observer(metrics).admin(new InetSocketAddress("127.0.0.1", 0)).build();
        GatewayServer gateway = new GatewayServer(config).start();
        closeables.add(gateway);
        AdminToken token = AdminToken.loadOrCreate(dataDir);
        AdminServer admin = new AdminServer(gateway, config, metrics, token).start();
        closeables.add(admin);

        int piPort = connector(gateway, "raspberry-pi", List.of("pi.example.com", "*.pi.example.com"), echo);
        connector(gateway, "nas-basement", List.of("nas.example.com"), echo);
        AdminServerTest.WsDevice kiosk = AdminServerTest.WsDevice.connect(HttpClient.newHttpClient(), gateway,
                signer.sign(new DeviceToken("kiosk-lobby", List.of(), List.of(), null)));
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.devices().size() == 3);
        // a refused token, so the refusals show one
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + gateway.deviceAddress().getPort() + "/")).header("Authorization", "Bearer x.y.z").build(),
                HttpResponse.BodyHandlers.discarding());
        threads.submit(() -> pump(piPort));

        Files.createDirectories(SCREENSHOT.getParent());
        JsonNode result = MeshCentralInterop.script("dashboard.js", Map.of(), List.of(
                "http://127.0.0.1:" + admin.address().getPort() + "/", token.value(),
                SCREENSHOT.toAbsolutePath().toString(), "kiosk-lobby", "raspberry-pi", "nas-basement", "kiosk-lobby"),
                120);
        JsonNode shown = result.get("shown");
        assertEquals("3", shown.get("devices").asText(), result.toString());
        assertEquals(List.of("kiosk-lobby", "nas-basement", "raspberry-pi"), strings(shown.get("rows")));
        assertTrue(shown.get("addressBarClean").asBoolean(), "the token leaves the address bar: " + result);
        assertTrue(result.get("phoneFits").asBoolean(), "no sideways scrolling at 390 px: " + result);
        assertEquals(List.of("nas-basement", "raspberry-pi"), strings(result.get("after")), result.toString());
        assertEquals(1008, kiosk.closeStatus());
        assertTrue(Files.size(SCREENSHOT) > 10_000, "a screenshot of the page");
    }

    private int connector(GatewayServer gateway, String device, List<String> names, ServerSocket echo)
            throws Exception {
        int port = Loopback.freePort();
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        Connector connector = new Connector(ConnectorConfig.newBuilder()
                .gateway(URI.create("ws://127.0.0.1:" + gateway.deviceAddress().getPort() + "/"))
                .token(signer.sign(new DeviceToken(device, List.of(port), names, null)))
                .tcp(Map.of(port, new InetSocketAddress("127.0.0.1", echo.getLocalPort())))
                .maxBackoff(Duration.ofSeconds(1)).build(), grants::add).start();
        closeables.add(connector);
        grants.poll(20, TimeUnit.SECONDS);
        return port;
    }

    /** About 1-2 MiB/s each way through the device until the test ends, so the page has traffic to show. */
    private Void pump(int port) throws Exception {
        byte[] chunk = new byte[64 * 1024];
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = client.getOutputStream();
            InputStream in = client.getInputStream();
            threads.submit(() -> in.transferTo(OutputStream.nullOutputStream()));
            while (traffic.get()) {
                out.write(chunk);
                Thread.sleep(40);
            }
        }
        return null;
    }

    private static List<String> strings(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(v -> list.add(v.asText()));
        return list;
    }
}
