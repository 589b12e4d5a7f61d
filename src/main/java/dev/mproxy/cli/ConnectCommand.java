package dev.mproxy.cli;

import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.connector.ConnectorFailure;
import dev.mproxy.connector.Mapping;
import dev.mproxy.connector.Mappings;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
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
            "Failures that retrying cannot mend end the command, with the gateway's reason and a distinct exit "
                + "status: 77 token refused (expired, other secret), 76 no endpoint at the URL or ws:// vs wss:// "
                + "not matching the port, 78 certificate not trusted, 3 replaced by a newer connection of the "
                + "same device id (the newer one wins, so two connectors never take turns). Anything else (no "
                + "route, refused connection, a restarting gateway) is retried.",
            "",
            "With --config FILE, SIGHUP reads the file again and serves its mappings from then on, without "
                + "dropping the tunnel or open streams; other changes need a restart.",
            "",
            "A mapping may end in ,proxy=v1 or ,proxy=v2: the local service then first receives a PROXY "
                + "protocol header with the public client's address and port as source, and as destination the "
                + "unspecified address (0.0.0.0 or ::) and the gateway's public port.",
            ""
        })
final class ConnectCommand implements Callable<Integer> {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(ConnectCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--gateway", paramLabel = "URI", required = true, converter = Converters.GatewayUri.class,
            description = "The gateway, wss://HOST:PORT (or ws:// behind a TLS terminator). Repeat it for the nodes "
                    + "of a gateway cluster: when the tunnel closes or cannot be opened, the next is dialed.")
    List<URI> gateways;

    @ArgGroup(exclusive = true)
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

    @Mixin
    LoggingOptions logging;

    @Mixin
    ConfigOption configFile;

    @Mixin
    DrainOption drain;

    @Override
    public Integer call() throws Exception {
        logging.apply();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ConnectorConfig.Builder builder = configBuilder();
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
            for (String line : config.mappings().served(grant, config.gateway().getHost())) {
                out.println("  " + line);
            }
            out.flush();
        }); Running running = Running.start()) {
            connector.start();
            running.handle("HUP", signal -> reload(connector));
            running.await(connector.stopped());
            if (connector.stopped().isCompletedExceptionally()) {
                ConnectorFailure failure = (ConnectorFailure) connector.stopped().handle((v, e) -> e).join();
                err.println("mproxy connect: " + failure.getMessage());
                err.flush();
                return exitCode(failure.kind());
            }
            return DrainOption.exitCode(connector.drain(config.drainTimeout(), () -> running.forced(0)));
        }
    }

    /**
     * SIGHUP: reads the {@code --config} file again, with the same command line over it, and serves the mappings
     * it now gives, without dropping the tunnel or its streams. Other changes need a restart. A file that does
     * not parse leaves everything as it was, and says why.
     */
    void reload(Connector connector) {
        if (configFile.file == null) {
            logger.warn("SIGHUP: nothing to reload: connect was started without --config");
            return;
        }
        try {
            MproxyCommand top = (MproxyCommand) spec.root().userObject();
            CommandLine fresh = MproxyCommand.commandLine(spec.commandLine().getOut(), spec.commandLine().getErr());
            CommandLine connect = fresh.getSubcommands().get(spec.name());
            List<String> args = new ArrayList<>(List.of(spec.name()));
            args.addAll(ConfigFile.options(connect.getCommandSpec(), configFile.file, top.commandLine));
            args.addAll(top.commandLine);
            fresh.parseArgs(args.toArray(String[]::new));
            ConnectCommand reread = connect.getCommand();
            connector.updateMappings(reread.mappings());
        } catch (ConfigFile.BadConfigException | RuntimeException e) {
            logger.error("SIGHUP: {}; the mappings stay as they were", e.getMessage());
        }
    }

    /** Each permanent failure's exit status, listed in {@code mproxy --help}. */
    static int exitCode(ConnectorFailure.Kind kind) {
        switch (kind) {
            case TOKEN_REFUSED:
                return ExitCodes.TOKEN_REFUSED;
            case NO_ENDPOINT:
            case WRONG_SCHEME:
                return ExitCodes.NO_ENDPOINT;
            case UNTRUSTED_CERTIFICATE:
                return ExitCodes.UNTRUSTED;
            case REPLACED:
                return ExitCodes.REPLACED;
            default:
                throw new AssertionError(kind);
        }
    }

    /** The typed model of these options (and of a {@code --config} file's, already among them); no recorder yet. */
    ConnectorConfig.Builder configBuilder() throws IOException {
        String jwt = TokenSource.read(token);
        if (jwt == null) {
            throw new ParameterException(spec.commandLine(), "no token: give --token-file FILE (or --token JWT), "
                    + "or set " + TokenSource.ENVIRONMENT);
        }
        return ConnectorConfig.newBuilder()
                .gateway(gateways.get(0))
                .otherGateways(gateways.subList(1, gateways.size()))
                .mappings(mappings())
                .limits(tunnelLimits.limits())
                .pingInterval(keepalive.interval)
                .pingTimeout(keepalive.timeout)
                .drainTimeout(drain.timeout)
                .token(jwt)
                .tokenFile(token == null ? null : token.file)
                .tls(trust.clientTls(gateways.get(0), spec));
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
