package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.testing.Loopback;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code connect} stops at once, with the gateway's reason and its own exit status, on what retrying cannot mend
 * (control 3.2); and of two connectors with one device id, the newer wins and the older stops (control 2.6).
 * Real gateway and connector commands over loopback, real TLS.
 */
@Timeout(60)
class ConnectFailuresTest {

    private static final Pattern CONNECT_LINE = Pattern.compile(
            "connect --gateway (wss://\\S+:(\\d+)) --fingerprint ([0-9A-F:]{95})");

    @TempDir
    Path tmp;

    private RunningCommand gateway;
    private String url;
    private int port;
    private String fingerprint;

    @BeforeEach
    void startGateway() throws IOException {
        gateway = new RunningCommand("gateway", "--listen", "127.0.0.1:0", "--tls-port", "0", "--http-port", "0",
                "--hostname", "localhost", "--data-dir", tmp.resolve("data").toString(), "--bind", "127.0.0.1");
        Matcher connect = gateway.awaitLine(CONNECT_LINE);
        url = connect.group(1);
        port = Integer.parseInt(connect.group(2));
        fingerprint = connect.group(3);
    }

    @AfterEach
    void stopGateway() throws Exception {
        gateway.stop();
    }

    @Test
    void aTokenOfAnotherSecretEndsConnectWith77AndTheGatewaysReason() throws Exception {
        // control 3.2: 401 with a JSON reason
        Cli.Run token = Cli.run("token", "--data-dir", tmp.resolve("other").toString(), "--create-secret",
                "--device", "laptop", "--port", "10022");
        assertEquals(0, token.exitCode(), token.err());
        RunningCommand device = new RunningCommand("connect", "--gateway", url, "--fingerprint", fingerprint,
                "--token", token.out().trim(), "--tcp", "10022=127.0.0.1:22");
        assertEquals(ExitCodes.TOKEN_REFUSED, device.awaitExit(10), device.err());
        assertTrue(device.err().contains("refused the token (401 Unauthorized: \"token signature"), device.err());
        assertTrue(device.err().contains("mproxy token --device laptop"), device.err());
    }

    @Test
    void aWrongPathEndsConnectWith76() throws Exception {
        // control 3.2: 404
        RunningCommand device = new RunningCommand("connect", "--gateway", url + "/tunnel", "--fingerprint",
                fingerprint, "--token", token("laptop"), "--tcp", "10022=127.0.0.1:22");
        assertEquals(ExitCodes.NO_ENDPOINT, device.awaitExit(10), device.err());
        assertTrue(device.err().contains("no device endpoint at " + url + "/tunnel (404 Not Found: \"no endpoint at "
                + "this path"), device.err());
    }

    @Test
    void anotherFingerprintEndsConnectWith78() throws Exception {
        // control 3.2: untrusted certificate
        String other = fingerprint.startsWith("00") ? "11" + fingerprint.substring(2) : "00" + fingerprint.substring(2);
        RunningCommand device = new RunningCommand("connect", "--gateway", url, "--fingerprint", other,
                "--token", token("laptop"), "--tcp", "10022=127.0.0.1:22");
        assertEquals(ExitCodes.UNTRUSTED, device.awaitExit(10), device.err());
        assertTrue(device.err().contains("certificate is not trusted"), device.err());
        assertTrue(device.err().contains(fingerprint), "names the fingerprint it got: " + device.err());
    }

    @Test
    void wsAgainstTheTlsPortEndsConnectWith76AndSaysWss() throws Exception {
        // control 3.2: wrong scheme
        RunningCommand device = new RunningCommand("connect", "--gateway", "ws://localhost:" + port,
                "--token", token("laptop"), "--tcp", "10022=127.0.0.1:22");
        assertEquals(ExitCodes.NO_ENDPOINT, device.awaitExit(10), device.err());
        assertTrue(device.err().contains("use wss:// instead of ws://"), device.err());
    }

    @Test
    void wssAgainstAPlainPortEndsConnectWith76AndSaysWs() throws Exception {
        // control 3.2: wrong scheme, the other way round
        try (ServerSocket plain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread answer = new Thread(() -> {
                try (Socket s = plain.accept(); OutputStream out = s.getOutputStream(); InputStream in = s.getInputStream()) {
                    in.read();
                    out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the client hung up first
                }
            });
            answer.start();
            RunningCommand device = new RunningCommand("connect", "--gateway", "wss://localhost:"
                    + plain.getLocalPort(), "--insecure", "--token", token("laptop"), "--tcp", "10022=127.0.0.1:22");
            assertEquals(ExitCodes.NO_ENDPOINT, device.awaitExit(10), device.err());
            assertTrue(device.err().contains("use ws:// instead of wss://"), device.err());
        }
    }

    @Test
    void theNewerConnectionOfADeviceWinsAndTheOlderStopsWith3() throws Exception {
        // control 2.6: no fight; the replaced connector says by whom and exits 3
        int publicPort = Loopback.freePort();
        Path tokenFile = tmp.resolve("laptop.token");
        Files.writeString(tokenFile, token("laptop", publicPort));
        String[] args = {"connect", "--gateway", url, "--fingerprint", fingerprint, "--token-file",
            tokenFile.toString(), "--tcp", publicPort + "=127.0.0.1:22"};
        RunningCommand first = new RunningCommand(args);
        first.awaitLine(Pattern.compile("serving as device laptop"));
        RunningCommand second = new RunningCommand(args);
        second.awaitLine(Pattern.compile("serving as device laptop"));

        assertEquals(ExitCodes.REPLACED, first.awaitExit(10), first.err());
        assertTrue(first.err().matches("(?s).*device laptop was taken over: \"replaced by a newer connection from "
                + "127\\.0\\.0\\.1:\\d+\"; stopping.*"), first.err());
        // the newer one keeps its tunnel: its public port still listens, nobody reconnects
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), publicPort)) {
            assertTrue(client.isConnected());
        }
        assertEquals(0, second.stop());
    }

    @Test
    void aMisspelledOptionIsNamedNotTheOptionItLeftMissing() {
        // issue 14: '--gatway' was reported as a missing '--gateway'
        Cli.Run run = Cli.run("connect", "--gatway", "wss://x:1", "--token", "t", "--tcp", "1=127.0.0.1:2");
        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertTrue(run.err().startsWith("mproxy: Unknown options: '--gatway', 'wss://x:1' (did you mean --gateway?)"),
                run.err());
    }

    @Test
    void aUrlWhereHostPortGoesIsCalledAUrl() {
        Cli.Run run = Cli.run("connect", "--gateway", "wss://x:1", "--insecure", "--token", "t", "--http",
                "app=http://127.0.0.1:80");
        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertTrue(run.err().contains("'http://127.0.0.1:80' is a URL (expected: HOST:PORT without a scheme, e.g. "
                + "127.0.0.1:80)"), run.err());
    }

    private String token(String device) {
        return token(device, 10022);
    }

    private String token(String device, int publicPort) {
        Cli.Run token = Cli.run("token", "--data-dir", tmp.resolve("data").toString(), "--device", device,
                "--port", Integer.toString(publicPort));
        assertEquals(0, token.exitCode(), token.err());
        return token.out().trim();
    }
}
