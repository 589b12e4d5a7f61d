package dev.mproxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mproxy.admin.AdminToken;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code --admin URL} and {@code --admin-token-file}, shared by the commands that call a running gateway's admin API
 * (protocol-spec/admin.md), and the calls themselves. Failures become {@link CommandException}s that say what to
 * check: the listener off, the token wrong.
 */
final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    @Option(names = "--admin", paramLabel = "URL", defaultValue = "http://127.0.0.1:7444",
            description = "The gateway's admin listener (default: ${DEFAULT-VALUE}).")
    URI admin;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            description = "The admin token (default: DATA_DIR/" + AdminToken.FILE_NAME + ").")
    Path tokenFile;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "The gateway's data dir, where it wrote the admin token (default: ./mproxy-data).")
    Path dataDir;

    /** {@code GET path}: the answer's JSON. */
    JsonNode get(String path) {
        return call(HttpRequest.newBuilder(uri(path)).GET(), path);
    }

    /** {@code POST path} with {@code body} as JSON (empty when null): the answer's JSON. */
    JsonNode post(String path, JsonNode body) {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body.toString());
        return call(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json").POST(publisher),
                path);
    }

    /** A device id as one path segment (admin 4.1). */
    static String segment(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode call(HttpRequest.Builder request, String path) {
        Path file = tokenFile != null ? tokenFile
                : (dataDir != null ? dataDir : DataDirOptions.DEFAULT_DATA_DIR).resolve(AdminToken.FILE_NAME);
        AdminToken token;
        try {
            token = AdminToken.load(file);
        } catch (NoSuchFileException e) {
            throw CommandException.failure("no admin token at " + file + ": the gateway writes it when started with "
                    + "--admin (expected: --data-dir of that gateway, or --admin-token-file)");
        } catch (IOException e) {
            throw CommandException.failure("cannot read the admin token: " + e.getMessage());
        }
        HttpResponse<String> response;
        try {
            response = HttpClient.newBuilder().connectTimeout(TIMEOUT).build().send(request
                    .header("Authorization", "Bearer " + token.value()).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw CommandException.failure("cannot reach the admin listener at " + admin + " (is the gateway running "
                    + "with --admin? it is off by default)");
        } catch (HttpTimeoutException e) {
            throw CommandException.failure("the admin listener at " + admin + " did not answer " + path + " within "
                    + TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            throw CommandException.failure("calling " + admin + path + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CommandException.failure("interrupted");
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            throw CommandException.failure(admin + path + " answered " + response.statusCode() + " with no JSON "
                    + "(expected: mproxy's admin API at --admin)");
        }
        if (response.statusCode() == 401) {
            throw CommandException.failure("the admin listener refused the token in " + file + ": "
                    + body.path("message").asText() + " (" + body.path("code").asText() + ')');
        }
        if (response.statusCode() >= 300) {
            throw CommandException.failure(body.path("message").asText(response.body()) + " ("
                    + body.path("code").asText("HTTP " + response.statusCode()) + ')');
        }
        return body;
    }

    private URI uri(String path) {
        String base = admin.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }
}
