package dev.mproxy.cli;

import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.connector.Mapping;
import dev.mproxy.connector.Mappings;
import java.io.PrintWriter;
import java.net.URI;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
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

    @Option(names = "--gateway", paramLabel = "URI", required = true, converter = Converters.GatewayUri.class,
            description = "The gateway, wss://HOST:PORT (or ws:// behind a TLS terminator). Repeat it for the nodes "
                    + "of a gateway cluster: when the tunnel closes or cannot be opened, the next is dialed.")
    List<URI> gateways;

    @ArgGroup(exclusive = true, multiplicity = "1")
    TokenSource token;

    @ArgGroup(exclusive = true)
    GatewayTrust trust = new GatewayTrust();

    @Option(names = "--tcp", paramLabel = Mapping.TCP_SYNTAX, converter = Converters.TcpMapping.class,
            description = "Serve public port PUBLIC_PORT with the local service at HOST:PORT (repeatable).")
    List<Mapping> tcp = List.of();

    @Option(names = "--https", paramLabel = Mapping.NAME_SYNTAX, converter = Converters.NameMapping.class,
            description = "Pass TLS connections for NAME (by SNI, still encrypted) to the local TLS server at "
                    + "HOST:PORT; NAME may be a wildcard (repeatable).")
    List<Mapping> https = List.of();

    @Option(names = "--http", paramLabel = Mapping.NAME_SYNTAX, converter = Converters.NameMapping.class,
            description = "Pass HTTP connections for NAME (by Host) to the local server at HOST:PORT; NAME may be "
                    + "a wildcard (repeatable).")
    List<Mapping> http = List.of();

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
        ConnectorConfig.Builder builder = ConnectorConfig.newBuilder()
                .gateway(gateways.get(0))
                .otherGateways(gateways.subList(1, gateways.size()))
                .mappings(mappings())
                .limits(tunnelLimits.limits())
                .pingInterval(keepalive.interval)
                .pingTimeout(keepalive.timeout)
                .token(token.read())
                .tokenFile(token.file)
                .tls(trust.clientTls(gateways.get(0), spec));
        try {
            builder.build(); // usage errors before a warning is printed or a recording directory made
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        trust.warn(gateways.get(0), spec, err);
        ConnectorConfig config = builder.recorder(record.open()).build();
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

    /** Every {@code --tcp}, {@code --https} and {@code --http}; a port or name given twice is a usage error. */
    private Mappings mappings() {
        Mappings.Builder mappings = Mappings.builder();
        add("--tcp", tcp, mapping -> mappings.tcp(mapping.publicPort(mapping.key()), mapping.service()));
        add("--https", https, mapping -> mappings.https(mapping.key(), mapping.service()));
        add("--http", http, mapping -> mappings.http(mapping.key(), mapping.service()));
        return mappings.build();
    }

    /** Adds each of {@code option}'s mappings; a name that is not valid, or a key mapped twice, names the option. */
    private void add(String option, List<Mapping> mappings, Consumer<Mapping> add) {
        for (Mapping mapping : mappings) {
            try {
                add.accept(mapping);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "' ("
                        + spec.findOption(option).paramLabel() + "): " + e.getMessage());
            }
        }
    }
}
