package dev.mproxy.cli;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.DomainNames;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code mproxy token --device ID [--port P]... [--domain D]... [--ttl 30d]}: prints a device token signed
 * with the gateway's secret, and nothing else on stdout, so {@code TOKEN=$(mproxy token ...)} works.
 */
@Command(name = "token",
        description = {
            "Print a device token (an HS256 JWT) signed with the gateway's secret: only the token, on one line.",
            "",
            "The secret is DIR/gateway.secret in the gateway's data dir. If there is none yet, one is created "
                + "(the dir with mode 0700, the file 0600), so tokens can be made before the gateway first "
                + "starts; stderr then says so. A data dir that group or others can access is refused.",
            "",
            "With --secret-file the key is the file's content with surrounding whitespace trimmed, as raw bytes, "
                + "at least 32 of them; telebit's 'secret' string works as it is.",
            "",
            "Tokens cannot be revoked one by one: replacing the secret revokes them all. Hence a finite "
                + "default lifetime.",
            ""
        },
        mixinStandardHelpOptions = true)
final class TokenCommand implements Callable<Integer> {

    /** Where {@code mproxy gateway} keeps its state unless told otherwise. */
    static final Path DEFAULT_DATA_DIR = Path.of("mproxy-data");

    private static final Pattern TTL = Pattern.compile("([0-9]{1,9})([dhms])");
    private static final Duration MAX_TTL = Duration.ofDays(36_500);

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "The gateway's data dir, holding gateway.secret (default: ./mproxy-data).")
    Path dataDir;

    @Option(names = "--secret-file", paramLabel = "FILE",
            description = "Sign with the key in this existing file instead of the data dir's.")
    Path secretFile;

    @Option(names = "--device", paramLabel = "ID", required = true,
            description = "The device id (the 'sub' claim).")
    String device;

    @Option(names = "--port", paramLabel = "PORT",
            description = "A public TCP port the device may serve, 1 to 65535; repeatable.")
    List<Integer> ports = new ArrayList<>();

    @Option(names = "--domain", paramLabel = "NAME",
            description = "A name the device may serve, exact (example.com) or wildcard (*.example.com, any "
                + "depth below it, not example.com itself); repeatable. Lowercased.")
    List<String> domains = new ArrayList<>();

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "30d",
            description = "How long the token is valid: a number and d, h, m or s (30d, 12h, 45m, 90s), or "
                + "'never' for a token without expiry (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Optional<Duration> lifetime = parseTtl(ttl);
        DeviceToken token = grant(lifetime, Clock.systemUTC().instant());
        GatewaySecret secret = secret();
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
        if (ports.isEmpty() && domains.isEmpty()) {
            throw usage("the token would grant nothing: give at least one --port or --domain");
        }
        return new DeviceToken(device, ports, domains, lifetime.map(now::plus).orElse(null));
    }

    private GatewaySecret secret() {
        if (secretFile != null && dataDir != null) {
            throw usage("--data-dir and --secret-file are mutually exclusive");
        }
        try {
            if (secretFile != null) {
                return GatewaySecret.load(secretFile);
            }
            Path dir = dataDir == null ? DEFAULT_DATA_DIR : dataDir;
            GatewaySecret secret = GatewaySecret.loadOrCreate(dir);
            if (secret.created()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("mproxy token: created a new gateway secret in " + secret.source());
                err.flush();
            }
            return secret;
        } catch (IOException e) {
            throw CommandException.failure(e.getMessage());
        }
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
        Matcher m = TTL.matcher(value);
        if (!m.matches()) {
            throw usage("invalid value for option '--ttl': '" + value
                    + "' (expected: a number and d, h, m or s, e.g. 30d, 12h, 45m, 90s; or 'never')");
        }
        long amount = Long.parseLong(m.group(1));
        Duration d;
        switch (m.group(2)) {
            case "d":
                d = Duration.ofDays(amount);
                break;
            case "h":
                d = Duration.ofHours(amount);
                break;
            case "m":
                d = Duration.ofMinutes(amount);
                break;
            default:
                d = Duration.ofSeconds(amount);
                break;
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
