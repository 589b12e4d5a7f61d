package dev.mproxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.cli.Main;
import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.connector.LocalService;
import dev.mproxy.connector.Mappings;
import dev.mproxy.connector.ProxyProtocol;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.testing.TestTrust;
import dev.mproxy.tls.GatewayCertificate;
import dev.mproxy.tls.SelfSignedCertificateGenerator;
import dev.mproxy.tls.TlsContexts;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared TLS and HTTP ports end to end (protocol-spec/routing.md, device-mappings.md): a real gateway, real
 * connectors (one of them a separate process that gets killed), local HTTP and TLS servers, real clients.
 */
@Timeout(60)
class SharedPortsEndToEndTest {

    private final GatewaySecret secret = TestSecrets.random();
    private final TokenSigner signer = new TokenSigner(secret, Clock.systemUTC());
    private final GatewayCertificate certificate = SelfSignedCertificateGenerator.generate(List.of("localhost"));
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private GatewayServer gateway;

    @TempDir
    Path tmp;

    @BeforeEach
    void start() throws Exception {
        gateway = new GatewayServer(GatewayConfig.newBuilder()
                .listen(new InetSocketAddress("127.0.0.1", 0)).publicBindHost("127.0.0.1")
                .tls(TlsContexts.server(certificate)).tlsPort(OptionalInt.of(0)).httpPort(OptionalInt.of(0))
                .verifier(new TokenVerifier(secret, Clock.systemUTC())).build()).start();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        gateway.close();
        threads.shutdownNow();
    }

    @Test
    void httpRequestsReachTheDeviceGrantedTheirHostExactOrByWildcard() throws Exception {
        // routing 1.2, 3.1-3.3: two devices, one by exact name and one by wildcard; the request arrives unchanged
        HttpService pi = new HttpService("pi");
        HttpService laptop = new HttpService("laptop");
        connect("pi", List.of("pi.example.com"), Mappings.builder().http("pi.example.com", pi.plain()));
        connect("laptop", List.of("*.laptop.example.com"),
                Mappings.builder().http("*.laptop.example.com", laptop.plain()));

        assertEquals("pi: GET /a HTTP/1.1|Host: pi.example.com", get("pi.example.com", "/a"));
        assertEquals("pi: GET /b HTTP/1.1|Host: PI.Example.COM:8080", get("PI.Example.COM:8080", "/b"));
        assertEquals("laptop: GET /c HTTP/1.1|Host: www.laptop.example.com", get("www.laptop.example.com", "/c"));
        assertEquals("laptop: GET /d HTTP/1.1|Host: x.y.laptop.example.com", get("x.y.laptop.example.com", "/d"));
        String unknown = exchange(gateway.httpAddress(), request("laptop.example.com", "/"));
        assertTrue(unknown.startsWith("HTTP/1.1 502 ") && !unknown.contains("laptop.example.com"),
                unknown); // limits 4.4
    }

    @Test
    void devicesSharingAHostTakeTurnsAndTheSurvivorServesAtOnceWhenOneIsKilled() throws Exception {
        // routing 1.2: round-robin across two devices; a device killed with SIGKILL leaves the other serving all
        HttpService inProcess = new HttpService("inside");
        HttpService killed = new HttpService("killed");
        connect("inside", List.of("app.example.com"), Mappings.builder().http("app.example.com", inProcess.plain()));
        Process device = connectProcess("killed", "app.example.com", killed.address());
        try {
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                answers.add(get("app.example.com", "/" + i).split(":")[0]);
            }
            assertEquals(2, answers.stream().filter("inside"::equals).count(), answers.toString());
            assertEquals(2, answers.stream().filter("killed"::equals).count(), answers.toString());
            assertTrue(!answers.get(0).equals(answers.get(1)) && !answers.get(2).equals(answers.get(3)),
                    "turns alternate: " + answers);

            device.destroyForcibly().onExit().get(10, TimeUnit.SECONDS);
            // the kernel closes the dead process's tunnel; once the gateway has seen that, nothing goes to it
            await().atMost(5, TimeUnit.SECONDS).until(() -> gateway.deviceCount() == 1);
            for (int i = 0; i < 4; i++) {
                assertEquals("inside", get("app.example.com", "/after" + i).split(":")[0]);
            }
        } finally {
            device.destroyForcibly();
        }
    }

    @Test
    void localServicesReadProxyHeadersNamingTheRealClientThroughBothSharedPorts() throws Exception {
        // mappings 4.1-4.5: v1 in front of the HTTP request, v2 in front of a TLS handshake passed through whole
        GatewayCertificate deviceCertificate = SelfSignedCertificateGenerator.generate(List.of("tls.example.com"));
        try (ServerSocket httpServer = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             ServerSocket tlsServer = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> v1 = CompletableFuture.supplyAsync(() -> {
                try (Socket s = httpServer.accept()) {
                    InputStream in = s.getInputStream();
                    String proxyLine = readLine(in);
                    String requestLine = readLine(in);
                    s.getOutputStream().write(response("ok").getBytes(StandardCharsets.US_ASCII));
                    return proxyLine + "|" + requestLine;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, threads);
            CompletableFuture<byte[]> v2 = CompletableFuture.supplyAsync(() -> {
                try (Socket s = tlsServer.accept()) {
                    byte[] header = s.getInputStream().readNBytes(16 + 12); // v2 fixed part + IPv4 addresses
                    // the rest is the client's TLS, untouched: the device's TLS server takes it from here
                    try (SSLSocket tls = (SSLSocket) serverContext(deviceCertificate).getSocketFactory()
                            .createSocket(s, null, false)) {
                        tls.setUseClientMode(false);
                        tls.getOutputStream().write(tls.getInputStream().read());
                        tls.getOutputStream().flush();
                    }
                    return header;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, threads);
            connect("pi", List.of("web.example.com", "tls.example.com"), Mappings.builder()
                    .http("web.example.com", new LocalService(address(httpServer), ProxyProtocol.V1))
                    .https("tls.example.com", new LocalService(address(tlsServer), ProxyProtocol.V2)));

            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), gateway.httpAddress().getPort())) {
                client.setSoTimeout(20_000);
                client.getOutputStream().write(request("web.example.com", "/").getBytes(StandardCharsets.US_ASCII));
                assertTrue(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)
                        .endsWith("ok"));
                assertEquals("PROXY TCP4 127.0.0.1 0.0.0.0 " + client.getLocalPort() + " "
                        + gateway.httpAddress().getPort() + "|GET / HTTP/1.1", v1.get(20, TimeUnit.SECONDS));
            }

            try (SSLSocket client = (SSLSocket) TestTrust.clientTrusting(deviceCertificate).getSocketFactory().createSocket(
                    InetAddress.getLoopbackAddress(), gateway.tlsAddress().getPort())) {
                client.setSoTimeout(20_000);
                SSLParameters parameters = client.getSSLParameters();
                parameters.setServerNames(List.of(new SNIHostName("tls.example.com")));
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                client.setSSLParameters(parameters);
                client.getOutputStream().write('!');
                client.getOutputStream().flush();
                assertEquals('!', client.getInputStream().read());
                assertEquals(deviceCertificate.certificate(), client.getSession().getPeerCertificates()[0]);
                int port = client.getLocalPort();
                int tlsPort = gateway.tlsAddress().getPort();
                assertArrayEquals(new byte[] {
                    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, // v2 signature
                    0x21, // version 2, PROXY
                    0x11, // TCP over IPv4
                    0x00, 0x0C, // 12 address bytes follow
                    127, 0, 0, 1, // source: the public client
                    0, 0, 0, 0, // destination: unspecified (mappings 4.4)
                    (byte) (port >> 8), (byte) port, // source port
                    (byte) (tlsPort >> 8), (byte) tlsPort // destination port: the gateway's TLS port
                }, v2.get(20, TimeUnit.SECONDS));
            }
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private void connect(String device, List<String> domains, Mappings.Builder mappings) throws Exception {
        String token = signer.sign(new DeviceToken(device, List.of(), domains, null));
        CountDownLatch granted = new CountDownLatch(1);
        closeables.add(new Connector(ConnectorConfig.newBuilder()
                .gateway(URI.create("wss://localhost:" + gateway.deviceAddress().getPort() + "/")).token(token)
                .tls(TlsContexts.clientPinned(certificate.fingerprint())).mappings(mappings.build())
                .maxBackoff(Duration.ofSeconds(2)).build(), grant -> granted.countDown()).start());
        assertTrue(granted.await(20, TimeUnit.SECONDS), device + " granted");
    }

    /** A real {@code mproxy connect} process: SIGKILL leaves closing its tunnel to the kernel. */
    private Process connectProcess(String device, String host, InetSocketAddress service) throws Exception {
        String token = signer.sign(new DeviceToken(device, List.of(), List.of(host), null));
        Path err = tmp.resolve(device + ".err");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "connect", "--gateway", "wss://localhost:" + gateway.deviceAddress().getPort(),
                "--fingerprint", certificate.fingerprint(), "--token", token,
                "--http", host + "=127.0.0.1:" + service.getPort())
                .redirectError(err.toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.contains("serving as device " + device)) {
            // the banner's other lines
        }
        assertTrue(line != null, device + " serving; stderr: " + Files.readString(err));
        return process;
    }

    /** One request through the gateway's HTTP port; returns the body the device's service answered. */
    private String get(String host, String path) throws IOException {
        String response = exchange(gateway.httpAddress(), request(host, path));
        assertTrue(response.startsWith("HTTP/1.1 200 "), response);
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    private static String exchange(InetSocketAddress to, String request) throws IOException {
        try (Socket client = new Socket(to.getAddress(), to.getPort())) {
            client.setSoTimeout(20_000);
            client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String request(String host, String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
    }

    private static String response(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
    }

    /** Reads one CRLF-terminated line byte by byte, so nothing after it is consumed. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            line.write(b);
        }
        String s = line.toString(StandardCharsets.US_ASCII);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static InetSocketAddress address(ServerSocket server) {
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    private static SSLContext serverContext(GatewayCertificate certificate) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("device", certificate.privateKey(), new char[0], certificate.chain());
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }

    /**
     * A local HTTP service that answers every request with its name, the request line and the Host line it
     * received, so a test sees both where a request went and that it arrived unchanged.
     */
    private final class HttpService implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());

        HttpService(String name) throws IOException {
            closeables.add(this);
            threads.submit(() -> {
                while (!server.isClosed()) {
                    Socket s = server.accept();
                    threads.submit(() -> {
                        try (s) {
                            InputStream in = s.getInputStream();
                            String requestLine = readLine(in);
                            String hostLine = readLine(in);
                            while (!readLine(in).isEmpty()) {
                                // the rest of the head
                            }
                            s.getOutputStream().write(response(name + ": " + requestLine + "|" + hostLine)
                                    .getBytes(StandardCharsets.US_ASCII));
                        }
                        return null;
                    });
                }
                return null;
            });
        }

        InetSocketAddress address() {
            return SharedPortsEndToEndTest.address(server);
        }

        LocalService plain() {
            return new LocalService(address(), ProxyProtocol.NONE);
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
