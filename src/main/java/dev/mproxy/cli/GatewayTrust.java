package dev.mproxy.cli;

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

    /**
     * The TLS to reach {@code gateway} with, or null for {@code ws://}; warnings go to {@code err} under the
     * command's name.
     */
    ClientTls clientTls(URI gateway, CommandSpec spec, PrintWriter err) throws IOException {
        String command = spec.qualifiedName();
        if (!"wss".equalsIgnoreCase(gateway.getScheme())) {
            if ("ws".equalsIgnoreCase(gateway.getScheme())) {
                err.println(command + ": warning: ws:// sends the token and all traffic unencrypted");
            }
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
                err.println(command + ": warning: --insecure trusts any certificate; anyone on the path can read "
                        + "and change the traffic");
                return TlsContexts.clientInsecure();
            }
            return TlsContexts.clientDefault();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "invalid value for option '--fingerprint': "
                    + e.getMessage());
        }
    }
}
