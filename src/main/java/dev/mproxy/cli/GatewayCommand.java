package dev.mproxy.cli;

import dev.mproxy.admin.AdminServer;
import dev.mproxy.admin.AdminToken;
import dev.mproxy.admin.GatewayMetrics;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.RevokedTokens;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.config.HostPorts;
import dev.mproxy.files.SecureFiles;
import dev.mproxy.gateway.GatewayConfig;
import dev.mproxy.gateway.GatewayObserver;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.gateway.PortRange;
import dev.mproxy.logging.Logging;
import dev.mproxy.tls.GatewayCertificate;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.tls.TlsFileException;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mproxy gateway}: the public side. Runs on embedded defaults with no flags at all. */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = {
            "Run the gateway: devices dial in over one WebSocket each; public TCP ports their tokens grant are "
                + "forwarded to them.",
            "",
            "With no flags it listens on 0.0.0.0:7443 with TLS, generating its secret and an EC P-256 "
                + "certificate into ./mproxy-data on first start, writes a sample device token to "
                + "./mproxy-data/" + GatewayCommand.SAMPLE_TOKEN_FILE + " (0600; never printed, limits 5.4) and prints "
                + "the 'mproxy connect' line to run on a device.",
            ""
        })
final class GatewayCommand implements Callable<Integer> {

    private static final int SAMPLE_PORT = 10022;
    private static final String SAMPLE_DEVICE = "sample-device";
    /** Where the sample token goes, in the data directory: a credential is never printed (limits 5.4). */
    static final String SAMPLE_TOKEN_FILE = "sample-device.token";

    @Spec
    CommandSpec spec;

    @Mixin
    DataDirOptions files;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:7443",
            converter = Converters.ListenAddress.class, description = "Where devices connect (default: ${DEFAULT-VALUE}).")
    InetSocketAddress listen;

    @Option(names = "--hostname", paramLabel = "NAME",
            description = "A name devices use to reach the gateway: goes into a generated certificate and the "
                + "printed connect line (repeatable).")
    List<String> hostnames = new ArrayList<>();

    @Option(names = "--cert", paramLabel = "PEM", description = "Certificate chain to serve instead of a generated one.")
    Path cert;

    @Option(names = "--key", paramLabel = "PEM", description = "Private key of --cert.")
    Path key;

    @Option(names = "--no-tls", description = "Serve plain WebSocket (ws://), for running behind a TLS terminator.")
    boolean noTls;

    @Option(names = "--bind", paramLabel = "HOST", defaultValue = "0.0.0.0",
            description = "Address public TCP ports listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--tls-port", paramLabel = "PORT", defaultValue = "" + GatewayConfig.DEFAULT_TLS_PORT,
            converter = Converters.SharedPort.class, description = "Public TLS port shared by all devices, routed by the server name (SNI) without "
                + "decrypting; 443 in production, 0 for none (default: ${DEFAULT-VALUE}).")
    OptionalInt tlsPort;

    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "" + GatewayConfig.DEFAULT_HTTP_PORT,
            converter = Converters.SharedPort.class, description = "Public HTTP port shared by all devices, routed by the Host header; 80 in production, "
                + "0 for none (default: ${DEFAULT-VALUE}).")
    OptionalInt httpPort;

    @Option(names = "--allow-ports", paramLabel = "LOW-HIGH", defaultValue = "1024-65535",
            converter = Converters.Ports.class, description = "Public ports a token may claim (default: ${DEFAULT-VALUE}).")
    PortRange allowPorts;

    @Option(names = "--relay-hold", paramLabel = "DURATION", defaultValue = "15s", converter = Converters.PositiveDuration.class,
            description = "How long a rendezvous relay peer (/relay?id=ID) waits for the second one "
                + "(default: ${DEFAULT-VALUE}).")
    Duration relayHold;

    @Option(names = "--relay-guessable-ids",
            description = "Let a rendezvous relay peer without a token use an id in MeshCentral's shape (its web UI's "
                + "10 base-36 characters, say). Such ids can be guessed: whoever guesses the id of a waiting peer "
                + "gets its session. Without this option only peers with a token may use them.")
    boolean relayGuessableIds;

    @Option(names = "--relay-max-message", paramLabel = "SIZE", defaultValue = "0", converter = Sizes.class,
            description = "The longest message a rendezvous relay peer may send (e.g. 64MiB); a longer one closes "
                + "it with status 1009. Messages of any size pass by default: the gateway relays them in pieces "
                + "and holds at most 1 MiB of one per peer.")
    long relayMaxMessage;

    @Option(names = "--admin", paramLabel = "HOST:PORT", arity = "0..1", fallbackValue = "127.0.0.1:7444",
            converter = Converters.ListenAddress.class,
            description = "Serve the admin listener: Prometheus metrics at /metrics, the JSON admin API, /healthz, "
                + "/readyz and the dashboard at /. Off by default; with no value it listens on 127.0.0.1:7444. "
                + "Every call but /healthz, /readyz and the dashboard page needs the admin token written to "
                + "DATA_DIR/admin.token (Authorization: Bearer). A non-loopback address needs TLS: the gateway's "
                + "certificate, or --admin-cert and --admin-key.")
    InetSocketAddress admin;

    @Option(names = "--admin-cert", paramLabel = "PEM",
            description = "Certificate chain for the admin listener instead of the gateway's own.")
    Path adminCert;

    @Option(names = "--admin-key", paramLabel = "PEM", description = "Private key of --admin-cert.")
    Path adminKey;

    @Mixin
    TunnelLimitOptions tunnelLimits;

    @Mixin
    KeepaliveOptions keepalive;

    @Mixin
    GuardOptions guards;

    @Mixin
    StreamRecordOptions record;

    @Mixin
    LoggingOptions logging;

    @Mixin
    ConfigOption configFile;

    @Mixin
    DrainOption drain;

    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        logging.apply();
        if ((cert == null) != (key == null)) {
            throw new ParameterException(spec.commandLine(), "--cert and --key go together");
        }
        if ((adminCert == null) != (adminKey == null)) {
            throw new ParameterException(spec.commandLine(), "--admin-cert and --admin-key go together");
        }
        if (adminCert != null && admin == null) {
            throw new ParameterException(spec.commandLine(), "--admin-cert needs --admin (the admin listener is off)");
        }
        GatewayConfig.Builder builder = GatewayConfig.newBuilder()
                .listen(listen)
                .publicBindHost(bind)
                .allowedPorts(allowPorts)
                .tlsPort(tlsPort)
                .httpPort(httpPort)
                .relayHold(relayHold)
                .relayGuessableIds(relayGuessableIds)
                .relayMaxMessage(relayMaxMessage)
                .limits(tunnelLimits.limits())
                .pingInterval(keepalive.interval)
                .pingTimeout(keepalive.timeout)
                .drainTimeout(drain.timeout);
        try {
            builder.handshakeTimeout(guards.handshakeTimeout).guardLimits(guards.limits());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        GatewaySecret secret = files.secret();
        builder.verifier(new TokenVerifier(secret, Clock.systemUTC(), revocations()));
        GatewayMetrics metrics = new GatewayMetrics();
        builder.admin(admin).observer(admin == null ? GatewayObserver.NONE : metrics);
        boolean adminTls = admin != null && (adminCert != null || !admin.getAddress().isLoopbackAddress());
        if (adminTls && adminCert == null && noTls) {
            throw new ParameterException(spec.commandLine(), "--admin " + admin.getHostString() + ':' + admin.getPort()
                    + " is not a loopback address, so it needs TLS, and --no-tls leaves the gateway no certificate "
                    + "(expected: --admin-cert and --admin-key, or a loopback address such as 127.0.0.1:7444)");
        }
        try {
            builder.build(); // usage errors before a certificate is generated or a recording directory made
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        GatewayCertificate certificate = noTls ? null : certificate();
        SslContext tls = certificate == null ? null : TlsContexts.server(certificate);
        GatewayConfig config = builder
                .tls(tls)
                .adminTls(!adminTls ? null : adminCert != null ? TlsContexts.server(adminCertificate()) : tls)
                .recorder(record.open())
                .cluster(cluster.open(listen, !noTls, hostnames))
                .build();
        try (GatewayServer server = new GatewayServer(config); Running running = Running.start();
             AdminServer adminServer = admin == null ? null : new AdminServer(server, config, metrics, adminToken())) {
            try {
                server.start();
                if (adminServer != null) {
                    adminServer.start();
                }
            } catch (BindException | IllegalStateException e) { // IllegalStateException: cannot join the cluster
                throw CommandException.failure(e.getMessage());
            }
            Logging.flush(); // the start-up lines before the banner, as they happened
            banner(server, secret, certificate);
            if (adminServer != null) {
                PrintWriter out = spec.commandLine().getOut();
                out.println("admin: " + (adminServer.isTls() ? "https" : "http") + "://"
                        + adminServer.address().getHostString() + ':' + adminServer.address().getPort()
                        + "/ (metrics, API, dashboard); its token is in "
                        + files.dir().resolve(AdminToken.FILE_NAME));
                out.flush();
            }
            running.await(new CompletableFuture<>());
            return DrainOption.exitCode(server.drain(config.drainTimeout(), () -> running.forced(0)));
        }
    }

    /** The revocations kept in the data dir, honoured whether or not the admin listener is on. */
    private RevokedTokens revocations() {
        try {
            return RevokedTokens.load(files.dir());
        } catch (IOException e) {
            throw CommandException.failure(e.getMessage());
        }
    }

    private AdminToken adminToken() {
        try {
            return AdminToken.loadOrCreate(files.dir());
        } catch (IOException e) {
            throw CommandException.failure(e.getMessage());
        }
    }

    private GatewayCertificate adminCertificate() {
        try {
            return GatewayCertificate.load(adminCert, adminKey);
        } catch (TlsFileException e) {
            throw CommandException.badInput(e.getMessage(), e);
        } catch (IOException e) {
            throw CommandException.failure(e.getMessage());
        }
    }

    private GatewayCertificate certificate() {
        try {
            return cert != null ? GatewayCertificate.load(cert, key)
                    : GatewayCertificate.loadOrCreate(files.dir(), hostnames);
        } catch (TlsFileException e) {
            throw CommandException.badInput(e.getMessage(), e);
        } catch (IOException e) {
            throw CommandException.failure(e.getMessage());
        }
    }

    /**
     * What an operator needs to connect a first device, every command as it can be pasted: the host devices
     * dial ({@code --hostname}, else this machine's name), the real fingerprint, the launcher's name. The sample
     * token goes to a 0600 file in the data dir, not to the terminal (nor its scrollback or a CI log).
     */
    private void banner(GatewayServer server, GatewaySecret secret, GatewayCertificate certificate) {
        PrintWriter out = spec.commandLine().getOut();
        int port = server.deviceAddress().getPort();
        String scheme = certificate == null ? "ws" : "wss";
        String host = !hostnames.isEmpty() ? hostnames.get(0)
                : server.deviceAddress().getAddress().isLoopbackAddress() ? "localhost" : machineName();
        String device = scheme + "://" + (host.indexOf(':') >= 0 ? '[' + host + ']' : host) + ':' + port;
        String mproxy = Launcher.command();
        out.println("mproxy gateway: devices connect to " + device + "/ (listening on "
                + HostPorts.format(server.deviceAddress()) + "); public TCP ports bind to " + bind);
        if (server.tlsAddress() != null || server.httpAddress() != null) {
            out.println("shared ports routed by name:"
                    + (server.tlsAddress() == null ? "" : " TLS (by SNI) " + HostPorts.format(server.tlsAddress()))
                    + (server.httpAddress() == null ? "" : " HTTP (by Host) " + HostPorts.format(server.httpAddress())));
        }
        if (server.recorder() != null) {
            out.println("recording every stream to " + server.recorder().directory() + " ("
                    + server.recorder().format().word() + ')');
        }
        out.println("rendezvous relay: " + device + "/relay?id=ID (see '" + mproxy + " relay --help')"
                + (relayGuessableIds ? "; ids in MeshCentral's shape without a token too: they can be guessed" : ""));
        if (certificate != null) {
            out.println("certificate SHA-256 fingerprint: " + certificate.fingerprint()
                    + (certificate.newlyGenerated() ? " (generated now)" : ""));
            List<String> missing = hostnames.stream()
                    .filter(name -> !certificate.subjectAlternativeNames().contains(name)).toList();
            if (!missing.isEmpty()) {
                out.println("note: the certificate does not name " + String.join(", ", missing) + " (it names "
                        + String.join(", ", certificate.subjectAlternativeNames()) + "): devices that pin its "
                        + "fingerprint connect anyway; those that check names (--ca) do not"
                        + (cert == null ? "; delete " + files.dir().resolve(GatewayCertificate.CERTIFICATE_FILE)
                        + " to generate one with every --hostname, and give devices the new fingerprint" : ""));
            }
        }
        String tokens = files.secretFile != null ? "token --secret-file " + files.secretFile
                : "token --data-dir " + files.dir();
        Path tokenFile = files.secretFile != null ? null : sampleToken(secret, spec.commandLine().getErr());
        if (tokenFile != null) {
            out.println("sample token (device \"" + SAMPLE_DEVICE + "\", port " + SAMPLE_PORT + ", 30 days) written "
                    + "to " + tokenFile);
            out.println("on a device, with that file copied to it, run:");
        } else {
            // the secret is not the data dir's: the data dir may not exist, and is not written to
            out.println("make a device token: " + mproxy + " " + tokens + " --device ID --port " + SAMPLE_PORT
                    + " > device.token");
            out.println("on a device, with that file copied to it, run:");
        }
        out.println("  " + mproxy + " connect --gateway " + device
                + (certificate == null ? "" : " --fingerprint " + certificate.fingerprint())
                + " --token-file " + (tokenFile != null ? tokenFile : Path.of("device.token")) + " --tcp "
                + SAMPLE_PORT + "=127.0.0.1:22");
        out.println("more tokens: " + mproxy + " " + tokens + " --device ID --port P");
        out.flush();
    }

    /**
     * A device token for {@value #SAMPLE_DEVICE} in a 0600 file in the data dir, so that it is not shown on the
     * terminal; null, with the reason on {@code err}, when it cannot be written (the gateway runs on).
     */
    private Path sampleToken(GatewaySecret secret, PrintWriter err) {
        Path tokenFile = files.dir().resolve(SAMPLE_TOKEN_FILE);
        String token = new TokenSigner(secret, Clock.systemUTC()).sign(new DeviceToken(SAMPLE_DEVICE,
                List.of(SAMPLE_PORT), List.of(), Clock.systemUTC().instant().plus(Duration.ofDays(30))));
        try {
            SecureFiles.writePrivateFile(tokenFile, (token + '\n').getBytes(StandardCharsets.US_ASCII));
            return tokenFile;
        } catch (IOException e) {
            err.println("mproxy gateway: cannot write the sample token to " + tokenFile + " ("
                    + SecureFiles.reason(e) + ")");
            err.flush();
            return null;
        }
    }

    /** This machine's name, for the printed URL when no {@code --hostname} is given and it listens beyond loopback. */
    private static String machineName() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            return name.isBlank() ? "localhost" : name;
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }


}
