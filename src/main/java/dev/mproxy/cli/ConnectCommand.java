package dev.mproxy.cli;

import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.connector.LocalService;
import dev.mproxy.connector.Mappings;
import dev.mproxy.connector.ProxyProtocol;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.List;
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
                + "whenever it drops.",
            "",
            "Mappings, at least one, each repeatable (protocol-spec/device-mappings.md):",
            "  --tcp 10022=127.0.0.1:22                public port 10022 to local port 22",
            "  --https app.example.com=127.0.0.1:8443  TLS by SNI, still encrypted",
            "  --http *.example.com=127.0.0.1:8080     HTTP by Host: a.example.com,",
            "                                          a.b.example.com, not example.com",
            "A name is matched exactly first, then by the longest wildcard. A stream nothing maps is refused "
                + "with E_NO_TARGET and its public client closed.",
            "",
            "A mapping may end in ,proxy=v1 or ,proxy=v2: the local service then first receives a PROXY "
                + "protocol header with the public client's address and port as source, and as destination the "
                + "unspecified address (0.0.0.0 or ::) and the gateway's public port.",
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
    GatewayTrust trust = new GatewayTrust();

    @Option(names = "--tcp", paramLabel = "PUBLIC_PORT=HOST:PORT[,proxy=v1|v2]",
            description = "Serve public port PUBLIC_PORT with the local service at HOST:PORT (repeatable).")
    List<String> tcp = List.of();

    @Option(names = "--https", paramLabel = "NAME=HOST:PORT[,proxy=v1|v2]",
            description = "Pass TLS connections for NAME (by SNI, still encrypted) to the local TLS server at "
                    + "HOST:PORT; NAME may be a wildcard (repeatable).")
    List<String> https = List.of();

    @Option(names = "--http", paramLabel = "NAME=HOST:PORT[,proxy=v1|v2]",
            description = "Pass HTTP connections for NAME (by Host) to the local server at HOST:PORT; NAME may be "
                    + "a wildcard (repeatable).")
    List<String> http = List.of();

    @Mixin
    TunnelLimitOptions tunnelLimits;

    @Mixin
    KeepaliveOptions keepalive;

    @Mixin
    StreamRecordOptions record;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Mappings mappings = mappings(); // usage errors first, before a token file is read or a warning printed
        ConnectorConfig config;
        try {
            config = new ConnectorConfig(gateway, token.read(), trust.clientTls(gateway, spec, err), mappings,
                    tunnelLimits.limits(spec), keepalive.interval, keepalive.timeout, Duration.ofSeconds(30),
                    record.open(spec));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        String device = Connector.deviceOf(config.token());
        try (Connector connector = new Connector(config, grant -> {
            out.println("mproxy connect: serving as device " + device + ", " + grant);
            out.flush();
        })) {
            connector.start();
            Running.untilStopped();
        }
        return ExitCodes.OK;
    }

    /** Every {@code --tcp}, {@code --https} and {@code --http}; at least one is needed (mappings 1.3). */
    private Mappings mappings() {
        if (tcp.isEmpty() && https.isEmpty() && http.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "at least one --tcp, --https or --http is required");
        }
        Mappings.Builder mappings = Mappings.builder();
        add("--tcp", tcp, (port, value, service) -> mappings.tcp(HostPorts.port(port, value), service));
        add("--https", https, (name, value, service) -> mappings.https(name, service));
        add("--http", http, (name, value, service) -> mappings.http(name, service));
        return mappings.build();
    }

    /** Adds one mapping; {@code value} is the option's whole text, for messages. */
    @FunctionalInterface
    private interface Mapping {
        void add(String key, String value, LocalService service);
    }

    /** Parses each {@code KEY=HOST:PORT[,proxy=v1|v2]} of {@code option} and hands it to {@code mapping}. */
    private void add(String option, List<String> values, Mapping mapping) {
        for (String value : values) {
            try {
                int eq = value.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("'" + value + "' (expected: "
                            + spec.findOption(option).paramLabel() + ')');
                }
                int comma = value.indexOf(',', eq);
                String target = comma < 0 ? value.substring(eq + 1) : value.substring(eq + 1, comma);
                ProxyProtocol proxy = comma < 0 ? ProxyProtocol.NONE : proxyOf(value.substring(comma + 1));
                mapping.add(value.substring(0, eq), value, new LocalService(HostPorts.parse(target), proxy));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "invalid value for option '" + option + "': "
                        + e.getMessage());
            }
        }
    }

    private static ProxyProtocol proxyOf(String suffix) {
        switch (suffix) {
            case "proxy=v1":
                return ProxyProtocol.V1;
            case "proxy=v2":
                return ProxyProtocol.V2;
            default:
                throw new IllegalArgumentException("'" + suffix + "' after the comma (expected: proxy=v1 or proxy=v2)");
        }
    }
}
