package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.admin.AdminToken;
import dev.mproxy.testing.Loopback;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code mproxy status}, {@code devices}, {@code disconnect}, {@code token revoke} against a running gateway's admin API. */
@Timeout(60)
class AdminCommandsTest {

    private static final Pattern ADMIN_LINE = Pattern.compile("^admin: (http://127\\.0\\.0\\.1:\\d+)/");

    @TempDir
    Path tmp;

    @Test
    void commandsCallTheAdminApiOfARunningGateway() throws Exception {
        Path dataDir = tmp.resolve("data");
        RunningCommand gateway = new RunningCommand("gateway", "--data-dir", dataDir.toString(), "--listen",
                "127.0.0.1:0", "--no-tls", "--tls-port", "0", "--http-port", "0", "--admin", "127.0.0.1:0");
        try {
            Matcher admin = gateway.awaitLine(ADMIN_LINE);
            String url = admin.group(1);
            String data = dataDir.toString();

            Cli.Run status = Cli.run("status", "--admin", url, "--data-dir", data);
            assertEquals(0, status.exitCode(), status.err());
            assertTrue(status.out().contains("devices: 0"), status.out());

            Cli.Run devices = Cli.run("devices", "--admin", url, "--data-dir", data);
            assertEquals(0, devices.exitCode(), devices.err());
            assertEquals("no devices connected", devices.out().strip());

            Cli.Run disconnect = Cli.run("disconnect", "--admin", url, "--data-dir", data, "nobody");
            assertEquals(ExitCodes.FAILURE, disconnect.exitCode());
            assertTrue(disconnect.err().contains("no device nobody is connected"), disconnect.err());

            Cli.Run revoke = Cli.run("token", "revoke", "--admin", url, "--data-dir", data, "--jti", "abc");
            assertEquals(0, revoke.exitCode(), revoke.err());
            assertTrue(revoke.out().contains("revoked token abc; live tunnels closed: 0"), revoke.out());
            assertTrue(Files.readString(dataDir.resolve("revoked-tokens.json")).contains("\"abc\""));

            Path wrong = tmp.resolve("wrong.token");
            Files.writeString(wrong, "not-the-token\n");
            Files.setPosixFilePermissions(wrong, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Cli.Run refused = Cli.run("status", "--admin", url, "--admin-token-file", wrong.toString());
            assertEquals(ExitCodes.FAILURE, refused.exitCode());
            assertTrue(refused.err().contains("refused the token in " + wrong), refused.err());
            assertTrue(refused.err().contains("E_ADMIN_TOKEN_INVALID"), refused.err());
        } finally {
            gateway.stop();
        }
    }

    @Test
    void aGatewayWithoutTheAdminListenerIsNamedAsSuch() throws Exception {
        Path dataDir = tmp.resolve("data");
        Files.createDirectory(dataDir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        AdminToken.loadOrCreate(dataDir);
        Cli.Run off = Cli.run("devices", "--admin", "http://127.0.0.1:" + Loopback.freePort(), "--data-dir",
                dataDir.toString());
        assertEquals(ExitCodes.FAILURE, off.exitCode());
        assertTrue(off.err().contains("is the gateway running with --admin?"), off.err());

        Cli.Run noToken = Cli.run("status", "--data-dir", tmp.resolve("elsewhere").toString());
        assertEquals(ExitCodes.FAILURE, noToken.exitCode());
        assertTrue(noToken.err().contains("no admin token at"), noToken.err());
    }

    // admin 2.1
    @Test
    void aNonLoopbackAdminListenerWithoutTlsDoesNotStart() {
        Cli.Run run = Cli.run("gateway", "--data-dir", tmp.resolve("data").toString(), "--listen", "127.0.0.1:0",
                "--no-tls", "--tls-port", "0", "--http-port", "0", "--admin", "0.0.0.0:0");
        assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
        assertTrue(run.err().contains("needs TLS"), run.err());
    }

    @Test
    void tokenStillAsksForItsDevice() {
        Cli.Run run = Cli.run("token", "--data-dir", tmp.resolve("data").toString(), "--port", "2222");
        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertTrue(run.err().contains("Missing required option: '--device=ID'"), run.err());
    }
}
