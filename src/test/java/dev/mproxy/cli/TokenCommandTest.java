package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.InvalidTokenException;
import dev.mproxy.auth.TokenVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code mproxy token}: one line on stdout that the gateway's secret verifies; usage errors exit 2. */
class TokenCommandTest {

    @TempDir
    Path tmp;

    private static DeviceToken verify(Path secretFile, String out) throws IOException, InvalidTokenException {
        assertEquals(1, out.lines().count(), "exactly one line: " + out);
        assertTrue(out.endsWith("\n"), out);
        return new TokenVerifier(GatewaySecret.load(secretFile), Clock.systemUTC()).verify(out.strip());
    }

    private static void assertUsageError(Cli.Run run, String expected) {
        assertEquals(2, run.exitCode(), run.err());
        assertEquals("", run.out());
        assertEquals(1, run.err().lines().count(), "one line: " + run.err());
        assertTrue(run.err().contains(expected), run.err() + " should say " + expected);
    }

    @Test
    void printsOneTokenThatTheDataDirsSecretVerifies() throws IOException, InvalidTokenException {
        Path dir = tmp.resolve("data");
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Cli.Run run = Cli.run("token", "--data-dir", dir.toString(), "--create-secret", "--device", "pi-1", "--port", "2222",
                "--port", "8443", "--domain", "Pi.Example.com", "--domain", "*.pi.example.com", "--ttl", "12h");
        Instant after = Instant.now();
        assertEquals(0, run.exitCode(), run.err());
        DeviceToken token = verify(dir.resolve("gateway.secret"), run.out());
        assertEquals("pi-1", token.deviceId());
        assertEquals(List.of(2222, 8443), List.copyOf(token.ports()));
        assertEquals(List.of("pi.example.com", "*.pi.example.com"), token.domains());
        Instant exp = token.expiresAt().orElseThrow();
        assertFalse(exp.isBefore(before.plus(Duration.ofHours(12))), exp.toString());
        assertFalse(exp.isAfter(after.plus(Duration.ofHours(12))), exp.toString());
        assertEquals("mproxy token: created a new gateway secret in " + dir.resolve("gateway.secret") + "\n",
                run.err());
    }

    @Test
    void laterRunsReuseTheSecretSilently() throws IOException, InvalidTokenException {
        Path dir = tmp.resolve("data");
        assertEquals(0, Cli.run("token", "--data-dir", dir.toString(), "--create-secret", "--device", "a", "--port", "22").exitCode());
        String secret = Files.readString(dir.resolve("gateway.secret"));
        Cli.Run run = Cli.run("token", "--data-dir", dir.toString(), "--device", "b", "--port", "22");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        assertEquals(secret, Files.readString(dir.resolve("gateway.secret")));
        assertEquals("b", verify(dir.resolve("gateway.secret"), run.out()).deviceId());
    }

    @Test
    void defaultLifetimeIsThirtyDays() throws IOException, InvalidTokenException {
        Path dir = tmp.resolve("data");
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Cli.Run run = Cli.run("token", "--data-dir", dir.toString(), "--create-secret", "--device", "d", "--domain", "d.example");
        Instant exp = verify(dir.resolve("gateway.secret"), run.out()).expiresAt().orElseThrow();
        Duration left = Duration.between(before, exp);
        assertTrue(left.compareTo(Duration.ofDays(30)) >= 0 && left.compareTo(Duration.ofDays(30).plusMinutes(1)) < 0,
                left.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"90s, 90", "45m, 2700", "1d, 86400"})
    void ttlUnits(String ttl, long seconds) throws IOException, InvalidTokenException {
        Path dir = tmp.resolve("data");
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Cli.Run run = Cli.run("token", "--data-dir", dir.toString(), "--create-secret", "--device", "d", "--port", "22", "--ttl", ttl);
        long left = Duration.between(before, verify(dir.resolve("gateway.secret"), run.out()).expiresAt()
                .orElseThrow()).toSeconds();
        assertTrue(left >= seconds && left < seconds + 60, ttl + " gave " + left + " s");
    }

    @Test
    void ttlNeverOmitsExpiry() throws IOException, InvalidTokenException {
        Path dir = tmp.resolve("data");
        Cli.Run run = Cli.run("token", "--data-dir", dir.toString(), "--create-secret", "--device", "d", "--port", "22",
                "--ttl", "never");
        assertEquals(Optional.empty(), verify(dir.resolve("gateway.secret"), run.out()).expiresAt());
    }

    @Test
    void secretFileSignsInsteadOfTheDataDir() throws IOException, InvalidTokenException {
        Path file = Files.writeString(tmp.resolve("secret"), "an operator-chosen secret of 32+ bytes\n");
        Cli.Run run = Cli.run("token", "--secret-file", file.toString(), "--device", "d", "--port", "22");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        assertEquals("d", verify(file, run.out()).deviceId());
    }

    @Test
    void unusableSecretFileFailsWithExit1() throws IOException {
        Path file = Files.writeString(tmp.resolve("secret"), "short\n");
        Cli.Run run = Cli.run("token", "--secret-file", file.toString(), "--device", "d", "--port", "22");
        assertEquals(1, run.exitCode());
        assertEquals("mproxy token: secret file " + file + " holds 5 bytes after trimming whitespace (expected: "
                + "at least 32)\n", run.err());
        assertEquals("", run.out());
    }

    @Test
    void noSecretIsCreatedUnlessAsked() {
        Path dir = tmp.resolve("data");
        Cli.Run run = Cli.run("token", "--data-dir", dir.toString(), "--device", "d", "--port", "22");
        assertEquals(1, run.exitCode());
        assertEquals("mproxy token: no gateway secret at " + dir.resolve("gateway.secret").toAbsolutePath()
                + ": run this where the gateway runs, or give the gateway's --data-dir DIR or --secret-file FILE; to "
                + "make a new secret before the gateway first starts, add --create-secret\n", run.err());
        assertEquals("", run.out());
        assertFalse(Files.exists(dir), "nothing created");
    }

    @Test
    void worldReadableDataDirFailsWithTheFix() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Cli.Run run = Cli.run("token", "--data-dir", dir.toString(), "--create-secret", "--device", "d", "--port", "22");
        assertEquals(1, run.exitCode());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains("chmod 700 " + dir), run.err());
        assertEquals("", run.out());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--port 0             | invalid value for option '--port': invalid port: 0 (expected: 1 ~ 65535)",
        "--port 70000         | invalid value for option '--port': invalid port: 70000 (expected: 1 ~ 65535)",
        "--port http          | '--port'",
        "--domain -a.com      | invalid value for option '--domain': invalid domain -a.com: label '-a' starts",
        "--domain a..b        | invalid domain a..b: it has an empty label",
        "--domain *           | '*' is allowed only as the whole first label",
        "--port 22 --ttl 5w   | invalid value for option '--ttl': '5w' (expected: a number and d, h, m or s",
        "--port 22 --ttl 0s   | '0s' is zero",
        "--port 22 --ttl 36501d | exceeds 36500d",
        "--port 22 --ttl -1d  | '--ttl'",
        "--ttl 1h             | the token would grant nothing: give at least one --port or --domain, or --relay-only",
        "--relay-only --port 22 | --relay-only makes a token that grants no --port or --domain",
    })
    void badOptionsAreUsageErrors(String options, String expected) {
        String[] args = ("token --data-dir " + tmp.resolve("data") + " --device d " + options).split(" ");
        assertUsageError(Cli.run(args), expected);
        assertFalse(Files.exists(tmp.resolve("data")), "no secret is created for a bad command line");
    }

    @Test
    void deviceIsRequiredAndValidated() {
        assertUsageError(Cli.run("token", "--data-dir", tmp.resolve("data").toString(), "--port", "22"),
                "Missing required option: '--device=ID'");
        assertUsageError(Cli.run("token", "--data-dir", tmp.resolve("data").toString(), "--port", "22",
                "--device", " "), "invalid value for option '--device': device id is empty");
    }

    @Test
    void dataDirAndSecretFileAreExclusive() {
        assertUsageError(Cli.run("token", "--data-dir", tmp.resolve("data").toString(), "--secret-file",
                tmp.resolve("s").toString(), "--device", "d", "--port", "22"),
                "--data-dir and --secret-file are mutually exclusive");
    }

    @Test
    void topLevelHelpListsTheCommand() {
        Cli.Run run = Cli.run("--help");
        assertTrue(run.out().contains("token"), run.out());
        Cli.Run help = Cli.run("token", "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("--ttl") && help.out().contains("default: 30d"), help.out());
    }
}
