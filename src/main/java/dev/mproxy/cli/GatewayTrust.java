package dev.mproxy.cli;

import dev.mproxy.config.GatewayUris;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tls.TlsContexts;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * How a client ({@code connect}, {@code relay}) trusts the gateway's certificate: one of {@code --fingerprint},
 * {@code --ca} and {@code --insecure}, or the JDK's CAs. An exclusive {@code @ArgGroup}.
 */
final class GatewayTrust {

    @Option(names = "--fingerprint", paramLabel = "SHA256",
            description = "Trust only a gateway certificate with this SHA-256 fingerprint.")
    String fingerprint;

    @Option(names = "--ca", paramLabel = "PEM", description = "Trust gateway certificates issued by these CAs.")
    Path ca;

    @Option(names = "--insecure", description = "Trust any gateway certificate (testing only).")
    boolean insecure;

    /** Says on {@code err}, under the command's name, what this trust leaves open: ws:// or --insecure. */
    void warn(URI gateway, CommandSpec spec, PrintWriter err) {
        String command = spec.qualifiedName();
        if ("ws".equalsIgnoreCase(gateway.getScheme())) {
            err.println(command + ": warning: ws:// sends the token and all traffic unencrypted");
        } else if (insecure && GatewayUris.isSecure(gateway)) {
            err.println(command + ": warning: --insecure trusts any certificate; anyone on the path can read "
                    + "and change the traffic");
        }
    }

    /** The TLS to reach {@code gateway} with, or null for {@code ws://}; {@link #warn} says what it leaves open. */
    ClientTls clientTls(URI gateway, CommandSpec spec) throws IOException {
        if (!GatewayUris.isSecure(gateway)) {
            return null;
        }
        try {
            if (fingerprint != null) {
                return TlsContexts.clientPinned(fingerprint);
            }
            if (ca != null) {
                return TlsContexts.clientWithCa(ca);
            }
            if (insecure) {
                return TlsContexts.clientInsecure();
            }
            return TlsContexts.clientDefault();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--fingerprint': "
                    + e.getMessage());
        }
    }
}
