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

    @Option(names = "--token", paramLabel = "JWT", required = true, description = "The device token.")
    String value;

    @Option(names = "--token-file", paramLabel = "FILE", required = true,
            description = "A file holding the device token.")
    Path file;

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
