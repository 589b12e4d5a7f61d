package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.gateway.GatewayConfig;
import dev.mproxy.gateway.PortRange;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.recordproxy.RecordProxyConfig;
import dev.mproxy.rendezvous.RelayConfig;
import dev.mproxy.tunnel.TunnelLimits;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The long-running commands' options fill their typed models: same defaults, errors naming the option. */
@Timeout(30)
class ConfigOptionsTest {

    @TempDir
    Path dataDir;

    @Test
    void gatewayOptionDefaultsAreTheModelsDefaults() {
        GatewayCommand gateway = new GatewayCommand();
        new CommandLine(gateway).parseArgs();
        assertEquals(GatewayConfig.DEFAULT_LISTEN, gateway.listen);
        assertEquals(GatewayConfig.DEFAULT_PUBLIC_BIND_HOST, gateway.bind);
        assertEquals(OptionalInt.of(GatewayConfig.DEFAULT_TLS_PORT), gateway.tlsPort);
        assertEquals(OptionalInt.of(GatewayConfig.DEFAULT_HTTP_PORT), gateway.httpPort);
        assertEquals(PortRange.UNPRIVILEGED, gateway.allowPorts);
        assertEquals(GatewayConfig.DEFAULT_PING_INTERVAL, gateway.keepalive.interval);
        assertEquals(GatewayConfig.DEFAULT_PING_TIMEOUT, gateway.keepalive.timeout);
        assertEquals(TunnelLimits.DEFAULT.maxStreams(), gateway.tunnelLimits.maxStreams);
        assertEquals(ConnectorConfig.DEFAULT_PING_INTERVAL, GatewayConfig.DEFAULT_PING_INTERVAL);
        assertEquals(ConnectorConfig.DEFAULT_PING_TIMEOUT, GatewayConfig.DEFAULT_PING_TIMEOUT);
    }

    @Test
    void recordAndRelayOptionDefaultsAreTheModelsDefaults() {
        RecordCommand record = new RecordCommand();
        new CommandLine(record).parseArgs("127.0.0.1", "22", "2222", "rec");
        assertEquals(RecordProxyConfig.DEFAULT_BIND_HOST, record.bind);
        assertEquals(RecordProxyConfig.DEFAULT_FORMAT, record.format);
        RelayCommand relay = new RelayCommand();
        new CommandLine(relay).parseArgs("--gateway", "ws://localhost:1", "--id", "relay-command-test-01", "--stdio");
        assertEquals(RelayConfig.DEFAULT_SESSIONS, relay.sessions);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "--ping-interval | 5x     | Invalid value for option '--ping-interval': '5x' (expected: a number and d, h, m or s",
        "--ping-timeout  | 0s     | Invalid value for option '--ping-timeout': '0s' is zero (expected: a positive",
        "--relay-hold    | 1w     | Invalid value for option '--relay-hold': '1w' (expected: a number and d, h, m or s",
        "--listen        | gw     | Invalid value for option '--listen': 'gw' (expected: HOST:PORT",
        "--listen        | ::1:80 | Invalid value for option '--listen': '::1:80' (expected: an IPv6 host in brackets",
        "--tls-port      | 70000  | Invalid value for option '--tls-port': '70000' (expected: a port 1 to 65535, or 0 for",
        "--allow-ports   | 9-1    | Invalid value for option '--allow-ports': port range 9-1 (expected: 1 <= LOW <= HIGH",
        "--max-streams   | 0      | Invalid value for option '--max-streams': '0' (expected: a whole number, at least 1)",
        "--record-format | pcap   | Invalid value for option '--record-format': unknown recording format: 'pcap'",
    })
    void badGatewayValueIsAUsageErrorNamingItsOption(String option, String value, String message) {
        Cli.Run run = Cli.run("gateway", "--no-tls", "--data-dir", dataDir.toString(), option, value);
        assertEquals(2, run.exitCode(), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains(message), run.err());
    }

    @Test
    void pingTimeoutNotAboveTheIntervalNamesBothOptions() {
        Cli.Run run = Cli.run("gateway", "--no-tls", "--data-dir", dataDir.toString(), "--ping-interval", "10s",
                "--ping-timeout", "5s");
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("--ping-timeout (5s) must exceed --ping-interval (10s)"), run.err());
    }

    @Test
    void recordPortsAndFormatAreUsageErrorsNamingTheArgument() {
        Cli.Run port = Cli.run("record", "127.0.0.1", "ssh", "2222", dataDir.resolve("rec").toString());
        assertEquals(2, port.exitCode(), port.err());
        assertTrue(port.err().contains("Invalid value for positional parameter at index 1 (SERVER_PORT): 'ssh' "
                + "(expected: a port 1 to 65535)"), port.err());
        Cli.Run format = Cli.run("record", "--format", "MCREC", "127.0.0.1", "22", "2222",
                dataDir.resolve("rec").toString());
        assertEquals(2, format.exitCode(), format.err());
        assertTrue(format.err().contains("Invalid value for option '--format': unknown recording format: 'MCREC'"),
                format.err());
    }

    @Test
    void modelsListEveryFieldWithoutSecrets() {
        String relay = RelayConfig.newBuilder().gateway(java.net.URI.create("ws://gw:1")).id("relay-command-test-01")
                .token("secret.jwt.value").stdio().build().toString();
        assertTrue(relay.contains("token: (hidden)") && !relay.contains("secret.jwt.value"), relay);
        String record = RecordProxyConfig.newBuilder().listen(new java.net.InetSocketAddress("127.0.0.1", 0))
                .server(new java.net.InetSocketAddress("127.0.0.1", 22)).logRoot("rec").format(RecordingFormat.MCREC)
                .build().toString();
        assertEquals("RecordProxyConfig(listen: /127.0.0.1:0, server: /127.0.0.1:22, logRoot: rec, format: mcrec, "
                + "recording: true)", record);
    }
}
