package dev.mproxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tls.TlsContexts;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mproxy connect}: the device side. Dials out and serves its local services until stopped. */
@Command(name = "connect", mixinStandardHelpOptions = true,
        description = {
            "Connect this device to a gateway and serve local services through it.",
            "",
            "Keeps one WebSocket to the gateway, reconnecting with backoff (1 s doubling to 30 s, with jitter) "
                + "whenever it drops. Each --tcp maps a public port the token grants to a local HOST:PORT.",
            ""
        })
final class ConnectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--gateway", paramLabel = "URI", required = true,
            description = "The gateway, wss://HOST:PORT (or ws:// behind a TLS terminator).")
    URI gateway;

    @ArgGroup(exclusive = true, multiplicity = "1")
    TokenSource token;

    @ArgGroup(exclusive = true)
    Trust trust = new Trust();

    @Option(names = "--tcp", paramLabel = "PUBLIC_PORT=HOST:PORT", required = true,
            description = "Serve public port PUBLIC_PORT with the local service at HOST:PORT (repeatable).")
    List<String> tcp;

    @Mixin
    TunnelLimitOptions tunnelLimits;

    @Mixin
    KeepaliveOptions keepalive;

    static final class TokenSource {
        @Option(names = "--token", paramLabel = "JWT", required = true, description = "The device token.")
        String value;

        @Option(names = "--token-file", paramLabel = "FILE", required = true,
                description = "A file holding the device token.")
        Path file;
    }

    static final class Trust {
        @Option(names = "--fingerprint", paramLabel = "SHA256",
                description = "Trust only a gateway certificate with this SHA-256 fingerprint.")
        String fingerprint;

        @Option(names = "--ca", paramLabel = "PEM", description = "Trust gateway certificates issued by these CAs.")
        Path ca;

        @Option(names = "--insecure", description = "Trust any gateway certificate (testing only).")
        boolean insecure;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ConnectorConfig config;
        try {
            config = new ConnectorConfig(gateway, token(), clientTls(err), mappings(),
                    tunnelLimits.limits(spec), keepalive.interval, keepalive.timeout, Duration.ofSeconds(30));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        try (Connector connector = new Connector(config, grant -> {
            JsonNode g = grant.get(2);
            out.println("mproxy connect: serving as device " + g.path("device").asText() + ", ports "
                    + g.path("ports") + (g.path("refused").isEmpty() ? "" : ", refused " + g.path("refused")));
            out.flush();
        })) {
            connector.start();
            Running.untilStopped();
        }
        return ExitCodes.OK;
    }

    private String token() throws IOException {
        if (token.value != null) {
            return token.value.trim();
        }
        try {
            return Files.readString(token.file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            throw CommandException.failure(token.file + ": no such file (named by --token-file)");
        }
    }

    private ClientTls clientTls(PrintWriter err) throws IOException {
        if (!"wss".equalsIgnoreCase(gateway.getScheme())) {
            if ("ws".equalsIgnoreCase(gateway.getScheme())) {
                err.println("mproxy connect: warning: ws:// sends the token and all traffic unencrypted");
            }
            return null;
        }
        try {
            if (trust.fingerprint != null) {
                return TlsContexts.clientPinned(trust.fingerprint);
            }
            if (trust.ca != null) {
                return TlsContexts.clientWithCa(trust.ca);
            }
            if (trust.insecure) {
                err.println("mproxy connect: warning: --insecure trusts any certificate; anyone on the path can "
                        + "read and change the tunnel");
                return TlsContexts.clientInsecure();
            }
            return TlsContexts.clientDefault();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "invalid value for option '--fingerprint': "
                    + e.getMessage());
        }
    }

    private Map<Integer, InetSocketAddress> mappings() {
        Map<Integer, InetSocketAddress> byPort = new LinkedHashMap<>();
        for (String mapping : tcp) {
            int eq = mapping.indexOf('=');
            if (eq <= 0) {
                throw new ParameterException(spec.commandLine(), "invalid value for option '--tcp': '" + mapping
                        + "' (expected: PUBLIC_PORT=HOST:PORT, e.g. 10022=127.0.0.1:22)");
            }
            try {
                int port = HostPorts.port(mapping.substring(0, eq), mapping);
                if (byPort.put(port, HostPorts.parse(mapping.substring(eq + 1))) != null) {
                    throw new IllegalArgumentException("public port " + port + " is mapped twice");
                }
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "invalid value for option '--tcp': "
                        + e.getMessage());
            }
        }
        return byPort;
    }
}
