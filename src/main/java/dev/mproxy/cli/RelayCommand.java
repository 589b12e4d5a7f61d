package dev.mproxy.cli;

import ch.qos.logback.classic.Level;
import dev.mproxy.relay.Relay;
import dev.mproxy.rendezvous.RelayConfig;
import dev.mproxy.rendezvous.RendezvousClient;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mproxy relay}: joins a rendezvous relay id and bridges it to a local port, a local service or stdio. */
@Command(name = "relay", mixinStandardHelpOptions = true,
        description = {
            "Join a relay id at a gateway's rendezvous relay (wss://HOST:PORT/relay?id=ID) and bridge the pair "
                + "to a local port, a local service, or stdin/stdout: two machines behind NAT reach each other "
                + "through the gateway (protocol-spec/rendezvous.md).",
            "",
            "The gateway pairs the two peers that join the same id; at least one needs a token of that gateway "
                + "('mproxy token'), and if both have one, for the same device id. Give both one: then either "
                + "may come first and wait (15 s by default).",
            "",
            "ssh to a machine behind NAT:",
            "  there:  mproxy relay --gateway wss://gw:7443 --fingerprint FP --token T --id ID --connect 127.0.0.1:22",
            "  here:   ssh -o ProxyCommand='mproxy relay --gateway wss://gw:7443 --fingerprint FP --token T "
                + "--id ID --stdio' host",
            "",
            "ID is 16 to 128 characters of A-Z a-z 0-9 - _, e.g. from: openssl rand -base64 18 | tr '+/' '-_'",
            ""
        })
final class RelayCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--gateway", paramLabel = "URI", required = true, converter = Converters.GatewayUri.class,
            description = "The gateway, wss://HOST:PORT (or ws:// behind a TLS terminator).")
    URI gateway;

    @Option(names = "--id", paramLabel = "ID", required = true, converter = Converters.RelayId.class,
            description = "The relay id to join.")
    String id;

    @ArgGroup(exclusive = true)
    TokenSource token;

    @ArgGroup(exclusive = true)
    GatewayTrust trust = new GatewayTrust();

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    @Option(names = "--sessions", paramLabel = "N", defaultValue = "1",
            description = "Sessions at once, with --listen or --connect: session k joins ID-k (session 1 joins ID); "
                + "give both sides the same N (default: ${DEFAULT-VALUE}, at most " + RendezvousClient.MAX_SESSIONS
                + ").")
    int sessions;

    @Mixin
    LoggingOptions logging;

    @Mixin
    ConfigOption configFile;

    static final class Mode {
        @Option(names = "--listen", paramLabel = "HOST:PORT", required = true,
                converter = Converters.ListenAddress.class, description = "Accept connections here; each joins the relay and is bridged to the peer.")
        InetSocketAddress listen;

        @Option(names = "--connect", paramLabel = "HOST:PORT", required = true,
                converter = Converters.ServiceAddress.class, description = "Wait on the relay id; connect each pair to the local service at HOST:PORT, and "
                    + "wait again.")
        InetSocketAddress connect;

        @Option(names = "--stdio", required = true,
                description = "Bridge one pair to stdin and stdout, e.g. as ssh's ProxyCommand.")
        boolean stdio;
    }

    @Override
    public Integer call() throws Exception {
        logging.apply(mode.stdio ? Level.WARN : Level.INFO); // stdio: ssh's terminal
        RelayConfig.Builder builder = RelayConfig.newBuilder()
                .gateway(gateway)
                .id(id)
                .sessions(sessions)
                .token(TokenSource.read(token))
                .tls(trust.clientTls(gateway, spec));
        if (mode.stdio) {
            builder.stdio();
        } else if (mode.listen != null) {
            builder.listen(mode.listen);
        } else {
            builder.connect(mode.connect);
        }
        RelayConfig config;
        try {
            config = builder.build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        trust.warn(gateway, spec, spec.commandLine().getErr());
        String relayId = config.id();
        try (RendezvousClient client = config.newClient()) {
            if (config.mode() == RelayConfig.Mode.STDIO) {
                return stdio(client);
            }
            PrintWriter out = spec.commandLine().getOut();
            String what = "mproxy relay: relay id " + relayId + (sessions == 1 ? "" : " (" + sessions + " sessions)");
            if (config.mode() == RelayConfig.Mode.LISTEN) {
                InetSocketAddress bound;
                try {
                    bound = client.listen(config.address());
                } catch (BindException e) {
                    throw CommandException.failure(e.getMessage());
                }
                out.println(what + ": listening on " + bound.getHostString() + ':' + bound.getPort());
            } else {
                InetSocketAddress service = config.address();
                client.connect(service);
                out.println(what + ": serving " + service.getHostString() + ':' + service.getPort());
            }
            out.flush();
            Running.untilStopped(client.stopped());
            if (client.stopped().isCompletedExceptionally()) {
                try {
                    client.stopped().join();
                } catch (CompletionException e) {
                    throw CommandException.failure(e.getCause().getMessage());
                }
            }
        }
        return ExitCodes.OK;
    }

    /** One session on this process's stdin and stdout; messages go to stderr only. */
    private int stdio(RendezvousClient client) throws InterruptedException {
        Relay relay;
        try {
            relay = client.stdio(new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out))
                    .get();
        } catch (ExecutionException e) {
            throw CommandException.failure(e.getCause().getMessage());
        }
        if (relay.failure() != null) {
            throw CommandException.failure("relay id " + id + " failed: " + RendezvousClient.why(relay));
        }
        return ExitCodes.OK;
    }
}
