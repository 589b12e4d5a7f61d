package dev.mproxy.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secret file: created 0600 in a 0700 dir, stable, refused when unsafe or too short. */
class GatewaySecretTest {

    @TempDir
    Path tmp;

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    private static IOException refusal(IoCall call) {
        return assertThrows(IOException.class, call::run);
    }

    /** {@code "rwxr-x---"} as {@code "750"}, worked out independently of the code under test. */
    private static String octal(String perms) {
        int bits = 0;
        for (int i = 0; i < 9; i++) {
            bits = bits * 2 + (perms.charAt(i) == '-' ? 0 : 1);
        }
        return Integer.toOctalString(bits);
    }

    private interface IoCall {
        void run() throws IOException;
    }

    @Test
    void firstUseCreatesAPrivateDirAndFile() throws IOException {
        Path dir = tmp.resolve("parent/mproxy-data");
        GatewaySecret secret = GatewaySecret.loadOrCreate(dir);
        Path file = dir.resolve("gateway.secret");
        assertTrue(secret.created());
        assertEquals(file.toString(), secret.source());
        assertEquals("rwx------", mode(dir));
        assertEquals("rwx------", mode(dir.getParent()), "missing parents are created 0700 too");
        assertEquals("rw-------", mode(file));
        String content = Files.readString(file, StandardCharsets.US_ASCII);
        assertTrue(content.matches("[A-Za-z0-9_-]{43}\n"), content);
        assertEquals(32, Base64.getUrlDecoder().decode(content.trim()).length, "32 random bytes");
        assertArrayEquals(content.trim().getBytes(StandardCharsets.US_ASCII), secret.key(),
                "the key is the file's trimmed text, by the one rule");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void secretIsStableAcrossLoads() throws IOException {
        GatewaySecret first = GatewaySecret.loadOrCreate(tmp.resolve("d"));
        GatewaySecret second = GatewaySecret.loadOrCreate(tmp.resolve("d"));
        GatewaySecret direct = GatewaySecret.load(tmp.resolve("d/gateway.secret"));
        assertFalse(second.created());
        assertArrayEquals(first.key(), second.key());
        assertArrayEquals(first.key(), direct.key());
    }

    @Test
    void existingPrivateDirIsUsed() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("d"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        assertTrue(GatewaySecret.loadOrCreate(dir).created());
    }

    @Test
    void groupOrWorldAccessibleDirIsRefusedWithTheFix() throws IOException {
        for (String perms : new String[] {"rwxr-xr-x", "rwxr-x---", "rwx-----x"}) {
            Path dir = Files.createDirectory(tmp.resolve(perms.replace('-', '_')));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(perms));
            String message = refusal(() -> GatewaySecret.loadOrCreate(dir)).getMessage();
            assertEquals(dir + ": permissions " + perms + " (0" + octal(perms) + ") let other users in (expected: "
                    + "rwx------; fix with: chmod 700 " + dir + ')', message);
            assertFalse(Files.exists(dir.resolve("gateway.secret")), "nothing is written into an unsafe dir");
        }
        Path open = tmp.resolve("rwxr_xr_x");
        assertTrue(refusal(() -> GatewaySecret.loadOrCreate(open)).getMessage().contains("rwxr-xr-x (0755)"));
    }

    @Test
    void dataDirThatIsAFileIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("f"), "x");
        assertEquals(file + ": not a directory (expected: a directory only its owner can use)",
                refusal(() -> GatewaySecret.loadOrCreate(file)).getMessage());
    }

    @Test
    void secretFileContentIsTheRawKeyWithWhitespaceTrimmed() throws IOException, InvalidTokenException {
        String text = "a telebit secret string, longer than 32 bytes";
        Path file = Files.writeString(tmp.resolve("secret.txt"), "  " + text + "\r\n");
        GatewaySecret secret = GatewaySecret.load(file);
        assertFalse(secret.created());
        assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), secret.key());
        // A token signed elsewhere with the same string (as jsonwebtoken does) verifies.
        String jwt = Jwts.hs256("{\"sub\":\"d\",\"ports\":[22]}", text.getBytes(StandardCharsets.UTF_8));
        assertEquals("d", new TokenVerifier(secret, Clock.systemUTC()).verify(jwt).deviceId());
    }

    @Test
    void shortSecretFileIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("short"), "  " + "x".repeat(31) + "\n");
        assertEquals("secret file " + file + " holds 31 bytes after trimming whitespace (expected: at least 32)",
                refusal(() -> GatewaySecret.load(file)).getMessage());
        assertEquals(32, GatewaySecret.load(Files.writeString(tmp.resolve("ok"), "y".repeat(32))).key().length);
    }

    @Test
    void missingOrHugeSecretFileIsRefused() throws IOException {
        Path missing = tmp.resolve("absent");
        assertEquals("secret file " + missing + " does not exist",
                refusal(() -> GatewaySecret.load(missing)).getMessage());
        Path huge = Files.write(tmp.resolve("huge"), new byte[GatewaySecret.MAX_FILE_BYTES + 1]);
        assertTrue(refusal(() -> GatewaySecret.load(huge)).getMessage().endsWith("is larger than 4096 bytes; is it "
                + "the right file?"));
    }

    @Test
    void tokensSurviveARestart() throws IOException, InvalidTokenException {
        Path dir = tmp.resolve("d");
        DeviceToken grant = new DeviceToken("d", List.of(22), List.of(), null);
        String jwt = new TokenSigner(GatewaySecret.loadOrCreate(dir), Clock.systemUTC()).sign(grant);
        assertEquals(grant, new TokenVerifier(GatewaySecret.loadOrCreate(dir), Clock.systemUTC()).verify(jwt));
    }

    @Test
    void toStringNeverShowsTheKey() throws IOException {
        GatewaySecret secret = GatewaySecret.loadOrCreate(tmp.resolve("d"));
        String key = new String(secret.key(), StandardCharsets.US_ASCII);
        assertFalse(secret.toString().contains(key), secret.toString());
        assertEquals("GatewaySecret(" + tmp.resolve("d/gateway.secret") + ", 43 bytes)", secret.toString());
        assertEquals("GatewaySecret(memory, 32 bytes)", GatewaySecret.of(new byte[32]).toString());
    }

    @Test
    void inMemorySecretMustBe32Bytes() {
        assertEquals("secret is 31 bytes (expected: at least 32)",
                assertThrows(IllegalArgumentException.class, () -> GatewaySecret.of(new byte[31])).getMessage());
    }
}
