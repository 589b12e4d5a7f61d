package dev.mproxy.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mproxy.files.SecureFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Revoked device tokens (protocol-spec/admin.md §5), kept in {@value #FILE_NAME} in the data directory
 * ({@code 0600}, replaced atomically on each change) so a revocation outlives a restart. A token is revoked by its
 * {@code jti}, or every token of a device issued up to a time ({@code iat} at or before it; a token without
 * {@code iat} counts as issued then): tokens minted for the device afterwards are valid again. Thread-safe; reads
 * take the lock only briefly, and checks happen once per token presented, never per message.
 */
public final class RevokedTokens {

    /** The file's name in the data directory. */
    public static final String FILE_NAME = "revoked-tokens.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    /** Revoked jti to when it was revoked. */
    private final Map<String, Instant> tokens = new LinkedHashMap<>();
    /** Device id to the time up to which its tokens are revoked. */
    private final Map<String, Instant> devices = new LinkedHashMap<>();

    private RevokedTokens(Path file) {
        this.file = file;
    }

    /** Nothing revoked, kept nowhere: for tests and gateways without a data directory. */
    public static RevokedTokens inMemory() {
        return new RevokedTokens(null);
    }

    /**
     * The revocations kept in {@code dataDir}; none when the file does not exist yet.
     *
     * @throws IOException when the file cannot be read or is not what this class writes, naming it
     */
    public static RevokedTokens load(Path dataDir) throws IOException {
        RevokedTokens revoked = new RevokedTokens(dataDir.resolve(FILE_NAME));
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(revoked.file));
        } catch (NoSuchFileException e) {
            return revoked;
        } catch (IOException e) {
            throw new IOException(revoked.file + ": " + e.getMessage() + " (expected: the JSON this gateway writes)",
                    e);
        }
        try {
            for (JsonNode entry : root.path("tokens")) {
                revoked.tokens.put(text(entry, "jti"), Instant.parse(text(entry, "revokedAt")));
            }
            for (JsonNode entry : root.path("devices")) {
                revoked.devices.put(text(entry, "device"), Instant.parse(text(entry, "issuedUpTo")));
            }
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new IOException(revoked.file + ": " + e.getMessage() + " (expected: the JSON this gateway writes)",
                    e);
        }
        return revoked;
    }

    private static String text(JsonNode entry, String field) {
        JsonNode value = entry.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("entry " + entry + " has no string " + field);
        }
        return value.textValue();
    }

    /** Revokes the token {@code jti}; true if it was not revoked before. Saved before returning. */
    public synchronized boolean revokeToken(String jti, Instant now) throws IOException {
        if (jti == null || jti.isBlank()) {
            throw new IllegalArgumentException("jti is empty (expected: a token's jti claim)");
        }
        if (tokens.containsKey(jti)) {
            return false;
        }
        tokens.put(jti, now);
        save();
        return true;
    }

    /** Revokes every token of {@code device} issued up to {@code now}. Saved before returning. */
    public synchronized void revokeDevice(String device, Instant now) throws IOException {
        DeviceToken.checkDeviceId(device);
        devices.put(device, now);
        save();
    }

    /** Why {@code token} is revoked, or empty when it is not. */
    public synchronized Optional<String> reason(DeviceToken token) {
        if (token.tokenId().isPresent() && tokens.containsKey(token.tokenId().get())) {
            return Optional.of("token " + token.tokenId().get() + " was revoked at " + tokens.get(token.tokenId().get()));
        }
        Instant upTo = devices.get(token.deviceId());
        if (upTo != null && !token.issuedAt().orElse(Instant.EPOCH).isAfter(upTo)) {
            return Optional.of("tokens of device " + DomainNames.printable(token.deviceId()) + " issued up to " + upTo
                    + " were revoked");
        }
        return Optional.empty();
    }

    /** What is revoked, as {@value #FILE_NAME} holds it: {@code {"tokens": [...], "devices": [...]}}. */
    public synchronized ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode t = root.putArray("tokens");
        tokens.forEach((jti, at) -> t.addObject().put("jti", jti).put("revokedAt", at.toString()));
        ArrayNode d = root.putArray("devices");
        devices.forEach((device, upTo) -> d.addObject().put("device", device).put("issuedUpTo", upTo.toString()));
        return root;
    }

    private void save() throws IOException {
        if (file != null) {
            SecureFiles.writePrivateFile(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson()));
        }
    }
}
