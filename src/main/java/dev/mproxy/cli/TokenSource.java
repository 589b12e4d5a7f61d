package dev.mproxy.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --token} or {@code --token-file}, for the commands that present a token to a gateway. An exclusive
 * {@code @ArgGroup}.
 */
final class TokenSource {

    /** The environment variable a token may come from instead, out of sight of {@code ps}. */
    static final String ENVIRONMENT = "MPROXY_TOKEN";

    @Option(names = "--token", paramLabel = "JWT", required = true, description = "The device token; visible to other users in 'ps': prefer --token-file or the "
                + "MPROXY_TOKEN environment variable.")
    String value;

    @Option(names = "--token-file", paramLabel = "FILE", required = true,
            description = "A file holding the device token (or set MPROXY_TOKEN).")
    Path file;

    /**
     * The token of {@code source} (either option), else of {@value #ENVIRONMENT}; null when there is none. The
     * command line wins over the environment.
     */
    static String read(TokenSource source) throws IOException {
        if (source != null) {
            return source.read();
        }
        String env = System.getenv(ENVIRONMENT);
        return env == null || env.isBlank() ? null : env.trim();
    }

    /** The token, from the option or the file, without surrounding whitespace. */
    String read() throws IOException {
        if (value != null) {
            return value.trim();
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            throw CommandException.failure(file + ": no such file (named by --token-file)");
        }
    }
}
