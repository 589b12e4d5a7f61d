package dev.mproxy.cli;

import dev.mproxy.auth.GatewaySecret;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --data-dir} and {@code --secret-file}, shared by the commands that need the gateway's secret. */
final class DataDirOptions {

    static final Path DEFAULT_DATA_DIR = Path.of("mproxy-data");

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the gateway keeps its secret and certificate; created 0700 (default: ./mproxy-data).")
    Path dataDir;

    @Option(names = "--secret-file", paramLabel = "FILE",
            description = "Use this file's content (at least 32 bytes) as the token secret instead of the data dir's.")
    Path secretFile;

    /** The data directory, given or default. */
    Path dir() {
        return dataDir == null ? DEFAULT_DATA_DIR : dataDir;
    }

    /** The secret from {@code --secret-file}, or the data dir's, created on first use (said on stderr). */
    GatewaySecret secret() {
        try {
            if (secretFile != null) {
                return GatewaySecret.load(secretFile);
            }
            GatewaySecret secret = GatewaySecret.loadOrCreate(dir());
            if (secret.created()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("mproxy " + spec.commandLine().getCommandName() + ": created a new gateway secret in "
                        + secret.source());
                err.flush();
            }
            return secret;
        } catch (IOException e) {
            throw CommandException.failure(e.getMessage());
        }
    }
}
