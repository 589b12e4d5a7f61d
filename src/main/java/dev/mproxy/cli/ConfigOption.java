package dev.mproxy.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --config FILE}, read by {@link ConfigFile} before the command line is parsed; here so that help lists it
 * and it is accepted, and so that a reload knows the file.
 */
final class ConfigOption {

    @Option(names = ConfigFile.OPTION, paramLabel = "FILE",
            description = "Read options from this TOML file: each key is a long option without its -- "
                + "(listen = \"0.0.0.0:7443\", tcp = [\"10022=127.0.0.1:22\"], no-tls = true). Options on the "
                + "command line win over the file's. Examples in dist/.")
    Path file;
}
