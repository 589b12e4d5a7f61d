package dev.mproxy.cli;

import dev.mproxy.auth.GatewaySecret;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
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
        return secret(true);
    }

    /**
     * As {@link #secret()}; unless {@code create}, a data dir without a secret is an error that says where it
     * looked and how to make one, so a token is never signed with a secret the gateway does not have.
     */
    GatewaySecret secret(boolean create) {
        try {
            if (secretFile != null) {
                return GatewaySecret.load(secretFile);
            }
            Path file = dir().resolve(GatewaySecret.FILE_NAME);
            if (!create && !Files.exists(file)) {
                throw CommandException.failure("no gateway secret at " + file.toAbsolutePath() + ": run this where "
                        + "the gateway runs, or give the gateway's --data-dir DIR or --secret-file FILE; to make a "
                        + "new secret before the gateway first starts, add --create-secret");
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
