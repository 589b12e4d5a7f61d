package dev.mproxy.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.testing.Loopback;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code --config FILE}: the same typed model as the same flags, the command line over the file, errors that
 * name the file and the key, and SIGHUP serving the file's new mappings while open streams go on.
 */
@Timeout(90)
class ConfigFileTest {

    private static final String FINGERPRINT = "AB:".repeat(31) + "AB";

    @TempDir
    Path tmp;

    @Test
    void aConnectFileGivesTheSameConfigAsTheSameFlags() throws Exception {
        Path token = Files.writeString(tmp.resolve("token"), "a.b.c\n");
        Path file = Files.writeString(tmp.resolve("connect.toml"), String.join("\n",
                "gateway = \"wss://gw.example.com:7443\"",
                "fingerprint = \"" + FINGERPRINT + "\"",
                "token-file = \"" + token + "\"",
                "tcp = [\"10022=127.0.0.1:22\", \"10080=127.0.0.1:80,proxy=v1\"]",
                "https = [\"app.example.com=127.0.0.1:8443\"]",
                "ping-interval = \"20s\"",
                "drain-timeout = \"3s\"",
                "max-streams = 50",
                ""));
        ConnectorConfig fromFile = connect("connect", "--config", file.toString());
        ConnectorConfig fromFlags = connect("connect", "--gateway", "wss://gw.example.com:7443", "--fingerprint",
                FINGERPRINT, "--token-file", token.toString(), "--tcp", "10022=127.0.0.1:22", "--tcp",
                "10080=127.0.0.1:80,proxy=v1", "--https", "app.example.com=127.0.0.1:8443", "--ping-interval", "20s",
                "--drain-timeout", "3s", "--max-streams", "50");
        assertEquals(fromFlags.gateway(), fromFile.gateway());
        assertEquals(fromFlags.token(), fromFile.token());
        assertEquals(fromFlags.mappings().toString(), fromFile.mappings().toString());
        assertEquals(fromFlags.limits().toString(), fromFile.limits().toString());
        assertEquals(fromFlags.pingInterval(), fromFile.pingInterval());
        assertEquals(fromFlags.pingTimeout(), fromFile.pingTimeout());
        assertEquals(Duration.ofSeconds(3), fromFile.drainTimeout());
        assertEquals(fromFlags.toString().replaceAll("tls: [^,]*, ", ""),
                fromFile.toString().replaceAll("tls: [^,]*, ", ""));
    }

    @Test
    void theCommandLineWinsOverTheFileListsIncluded() throws Exception {
        Path file = Files.writeString(tmp.resolve("connect.toml"), String.join("\n",
                "gateway = \"wss://gw.example.com:7443\"",
                "insecure = true",
                "token = \"from.the.file\"",
                "tcp = [\"10022=127.0.0.1:22\"]",
                "ping-interval = \"20s\"",
                ""));
        ConnectorConfig config = connect("connect", "--config", file.toString(), "--ping-interval", "7s",
                "--tcp", "2000=127.0.0.1:2", "--token-file", Files.writeString(tmp.resolve("t"), "x.y.z").toString());
        assertEquals(Duration.ofSeconds(7), config.pingInterval());
        assertEquals("tcp {2000=127.0.0.1:2}, https {}, http {}", config.mappings().toString());
        assertEquals("x.y.z", config.token(), "--token-file on the command line replaces the file's token");
    }

    @Test
    void anUnknownKeyIsAUsageErrorNamingTheFileAndTheKey() throws IOException {
        Path file = Files.writeString(tmp.resolve("gateway.toml"), "listen = \"0.0.0.0:7443\"\ngatway = \"x\"\n");
        Cli.Run run = Cli.run("gateway", "--config", file.toString());
        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals("mproxy: " + file + ": unknown key 'gatway' (expected: a long option of 'mproxy gateway' "
                + "without its --, as 'mproxy gateway --help' lists them)\n", run.err());
    }

    @Test
    void badTomlAndABadValueSayWhere() throws IOException {
        Path broken = Files.writeString(tmp.resolve("broken.toml"), "listen = \n");
        Cli.Run run = Cli.run("gateway", "--config", broken.toString());
        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertTrue(run.err().startsWith("mproxy: " + broken + ": not valid TOML: "), run.err());

        Path bad = Files.writeString(tmp.resolve("bad.toml"), "ping-interval = \"5x\"\n");
        run = Cli.run("gateway", "--config", bad.toString());
        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertTrue(run.err().contains("--ping-interval"), run.err());
    }

    @Test
    void sighupServesTheFilesNewMappingsWhileAnOpenStreamGoesOn() throws Exception {
        int publicPort = Loopback.freePort();
        try (ServerSocket first = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             ServerSocket second = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            RunningCommand gateway = new RunningCommand("gateway", "--listen", "127.0.0.1:0", "--tls-port", "0",
                    "--http-port", "0", "--hostname", "localhost", "--data-dir", tmp.resolve("data").toString(),
                    "--bind", "127.0.0.1");
            Matcher line = gateway.awaitLine(Pattern.compile("connect --gateway (wss://localhost:\\d+) "
                    + "--fingerprint ([0-9A-F:]{95})"));
            Cli.Run token = Cli.run("token", "--data-dir", tmp.resolve("data").toString(), "--device", "pi",
                    "--port", Integer.toString(publicPort));
            Path file = tmp.resolve("connect.toml");
            Files.writeString(file, config(line, publicPort, first.getLocalPort()));
            Process device = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "connect", "--config",
                    file.toString())
                    .redirectError(tmp.resolve("device.err").toFile()).start();
            device.getOutputStream().close();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(device.getInputStream(),
                        StandardCharsets.UTF_8));
                String served;
                while ((served = out.readLine()) != null && !served.contains("serving as device pi")) {
                    // other lines
                }
                assertTrue(served != null, Files.readString(tmp.resolve("device.err")));
                try (Socket open = new Socket(InetAddress.getLoopbackAddress(), publicPort);
                     Socket atFirst = first.accept()) {
                    open.setSoTimeout(10_000);
                    open.getOutputStream().write(1);
                    assertEquals(1, atFirst.getInputStream().read());

                    Files.writeString(file, config(line, publicPort, second.getLocalPort()));
                    new ProcessBuilder("kill", "-HUP", Long.toString(device.pid())).start().waitFor();
                    await().atMost(20, TimeUnit.SECONDS).until(() -> Files.readString(tmp.resolve("device.err"))
                            .contains("reloaded mappings: serving tcp://localhost:" + publicPort + " \u2192 127.0.0.1:"
                                    + second.getLocalPort()));
                    try (Socket fresh = new Socket(InetAddress.getLoopbackAddress(), publicPort);
                         Socket atSecond = second.accept()) {
                        fresh.getOutputStream().write(2);
                        assertEquals(2, atSecond.getInputStream().read(), "a new stream reaches the new mapping");
                    }
                    // the stream opened before the reload goes on, both ways
                    open.getOutputStream().write(3);
                    assertEquals(3, atFirst.getInputStream().read());
                    atFirst.getOutputStream().write(4);
                    assertEquals(4, open.getInputStream().read());
                }
            } finally {
                device.destroy();
                assertTrue(device.waitFor(30, TimeUnit.SECONDS));
                gateway.stop();
            }
            assertEquals(0, device.exitValue(), Files.readString(tmp.resolve("device.err")));
        }
    }

    private String config(Matcher gateway, int publicPort, int servicePort) throws IOException {
        Path token = tmp.resolve("pi.token");
        if (!Files.exists(token)) {
            Files.writeString(token, Cli.run("token", "--data-dir", tmp.resolve("data").toString(), "--device", "pi",
                    "--port", Integer.toString(publicPort)).out());
        }
        return String.join("\n", "gateway = \"" + gateway.group(1) + "\"", "fingerprint = \"" + gateway.group(2)
                + "\"", "token-file = \"" + token + "\"", "tcp = [\"" + publicPort + "=127.0.0.1:" + servicePort
                + "\"]", "");
    }

    private static ConnectorConfig connect(String... args) throws Exception {
        CommandLine top = MproxyCommand.commandLine(new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()));
        top.parseArgs(ConfigFile.expand(top, args));
        ConnectCommand connect = top.getSubcommands().get("connect").getCommand();
        return connect.configBuilder().build();
    }
}
