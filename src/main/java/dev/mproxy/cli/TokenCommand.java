package dev.mproxy.cli;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.DomainNames;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.config.Durations;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code mproxy token --device ID [--port P]... [--domain D]... [--relay-only] [--ttl 30d]}: prints a device token signed
 * with the gateway's secret, and nothing else on stdout, so {@code TOKEN=$(mproxy token ...)} works.
 */
@Command(name = "token",
        description = {
            "Print a device token (an HS256 JWT) signed with the gateway's secret: only the token, on one line.",
            "",
            "The secret is DIR/gateway.secret in the gateway's data dir (./mproxy-data unless --data-dir). If "
                + "there is none, the command fails and says where it looked: a token signed with a new secret "
                + "would be refused by the gateway. --create-secret makes one (the dir with mode 0700, the file "
                + "0600), so tokens can be made before the gateway first starts; stderr then says so. A data dir "
                + "that group or others can access is refused.",
            "",
            "With --secret-file the key is the file's content with surrounding whitespace trimmed, as raw bytes, "
                + "at least 32 of them; telebit's 'secret' string works as it is.",
            "",
            "Each token carries a random jti: 'mproxy token revoke --jti J' (or --device ID) revokes it on a "
                + "running gateway with --admin. Replacing the secret revokes them all.",
            ""
        },
        mixinStandardHelpOptions = true, subcommands = AdminCommands.Revoke.class)
final class TokenCommand implements Callable<Integer> {

    /** Where {@code mproxy gateway} keeps its state unless told otherwise. */

    private static final Duration MAX_TTL = Duration.ofDays(36_500);

    @Mixin
    DataDirOptions files;

    // not required = true: picocli would then ask for it before 'token revoke' too; call() checks it
    @Option(names = "--device", paramLabel = "ID",
            description = "The device id (the 'sub' claim); required.")
    String device;

    @Option(names = "--port", paramLabel = "PORT",
            description = "A public TCP port the device may serve, 1 to 65535; repeatable.")
    List<Integer> ports = new ArrayList<>();

    @Option(names = "--domain", paramLabel = "NAME",
            description = "A name the device may serve, exact (example.com) or wildcard (*.example.com, any "
                + "depth below it, not example.com itself); repeatable. Lowercased.")
    List<String> domains = new ArrayList<>();

    @Option(names = "--create-secret",
            description = "Create the data dir's secret if there is none yet (the gateway then uses it). Without "
                + "it, a missing secret is an error.")
    boolean createSecret;

    @Option(names = "--relay-only",
            description = "A token for the rendezvous relay only ('mproxy relay', /relay?id=): its subject and "
                + "nothing more, no --port or --domain.")
    boolean relayOnly;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "30d",
            description = "How long the token is valid: a number and d, h, m or s (30d, 12h, 45m, 90s), or "
                + "'never' for a token without expiry (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (device == null) {
            throw usage("Missing required option: '--device=ID'");
        }
        Optional<Duration> lifetime = parseTtl(ttl);
        DeviceToken token = grant(lifetime, Clock.systemUTC().instant());
        if (files.secretFile != null && files.dataDir != null) {
            throw usage("--data-dir and --secret-file are mutually exclusive");
        }
        GatewaySecret secret = files.secret(createSecret);
        String jwt = new TokenSigner(secret, Clock.systemUTC()).sign(token);
        PrintWriter out = spec.commandLine().getOut();
        out.println(jwt);
        out.flush();
        return ExitCodes.OK;
    }

    private DeviceToken grant(Optional<Duration> lifetime, Instant now) {
        try {
            DeviceToken.checkDeviceId(device);
        } catch (IllegalArgumentException e) {
            throw usage("invalid value for option '--device': " + e.getMessage());
        }
        for (int port : ports) {
            try {
                DeviceToken.checkPort(port);
            } catch (IllegalArgumentException e) {
                throw usage("invalid value for option '--port': " + e.getMessage());
            }
        }
        for (String domain : domains) {
            try {
                DomainNames.normalizePattern(domain);
            } catch (IllegalArgumentException e) {
                throw usage("invalid value for option '--domain': " + e.getMessage());
            }
        }
        if (relayOnly && !(ports.isEmpty() && domains.isEmpty())) {
            throw usage("--relay-only makes a token that grants no --port or --domain");
        }
        if (!relayOnly && ports.isEmpty() && domains.isEmpty()) {
            throw usage("the token would grant nothing: give at least one --port or --domain, or --relay-only for a "
                    + "token used only with the rendezvous relay");
        }
        return new DeviceToken(device, ports, domains, lifetime.map(now::plus).orElse(null));
    }

    /**
     * {@code 30d}, {@code 12h}, {@code 45m}, {@code 90s}, or {@code never} (empty).
     *
     * @throws ParameterException for anything else, zero, or more than 36500 days
     */
    private Optional<Duration> parseTtl(String value) {
        if ("never".equals(value)) {
            return Optional.empty();
        }
        Duration d;
        try {
            d = Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw usage("invalid value for option '--ttl': " + e.getMessage().replace(")", "; or 'never')"));
        }
        if (d.isZero()) {
            throw usage("invalid value for option '--ttl': '" + value + "' is zero (expected: a positive "
                    + "duration, or 'never')");
        }
        if (d.compareTo(MAX_TTL) > 0) {
            throw usage("invalid value for option '--ttl': '" + value + "' exceeds 36500d (use 'never' for a "
                    + "token without expiry)");
        }
        return Optional.of(d);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
