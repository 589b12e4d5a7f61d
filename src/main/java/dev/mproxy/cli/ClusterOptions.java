package dev.mproxy.cli;

import dev.mproxy.cluster.ClusterConfig;
import dev.mproxy.cluster.RedisCluster;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.tls.TlsFileException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --cluster} and what goes with it: the gateway as a node of a cluster (protocol-spec/cluster.md). */
final class ClusterOptions {

    /** Where Redis's password may come from instead of a file: never the command line, which {@code ps} shows. */
    static final String PASSWORD_ENV = "MPROXY_CLUSTER_PASSWORD";

    @Option(names = "--cluster", paramLabel = "URL",
            description = "Join the cluster whose state is in this Redis or Valkey (redis://HOST:PORT, rediss:// "
                    + "for TLS): public TCP ports, names on the shared TLS and HTTP ports and the rendezvous relay "
                    + "are served from every node (protocol-spec/cluster.md). Default: a single gateway that needs "
                    + "nothing external.")
    URI redis;

    @Option(names = "--cluster-password-file", paramLabel = "FILE",
            description = "Redis's password, read from this file (else from $" + PASSWORD_ENV + ", else none).")
    Path passwordFile;

    @Option(names = "--node-id", paramLabel = "ID",
            description = "This node's id in the cluster, unique among live nodes (default: the host name and the "
                    + "device port, HOST:PORT).")
    String nodeId;

    @Option(names = "--advertise", paramLabel = "URL",
            description = "How the other nodes reach this node's device port (ws://HOST:PORT or wss://HOST:PORT; "
                    + "default: the first --hostname, else this host's name, and the --listen port).")
    URI advertise;

    @Option(names = "--cluster-secret-file", paramLabel = "FILE",
            description = "The secret node tunnels authenticate with: the same file on every node, at least "
                    + ClusterConfig.MIN_SECRET_LENGTH + " printable characters. Required with --cluster.")
    Path secretFile;

    @Option(names = "--cluster-ca", paramLabel = "PEM",
            description = "Trust these certificates (PEM, one or more) for the other nodes' wss:// URLs instead of the "
                    + "JDK's CAs: a private CA, or the nodes' own self-signed certificates (the name in --advertise "
                    + "must be in each). Default: the JDK's CAs.")
    Path caFile;

    @Option(names = "--cluster-cleartext",
            description = "Allow a ws:// --advertise URL that is not loopback. Node tunnels, every stream they carry "
                    + "and the cluster secret they present then cross the network unencrypted: only on a network "
                    + "you trust. Without it such a URL is refused.")
    boolean cleartext;

    /** The cluster member these options describe, not yet started; null without {@code --cluster}. */
    RedisCluster open(InetSocketAddress listen, boolean tls, List<String> hostnames) {
        if (redis == null) {
            if (passwordFile != null || nodeId != null || advertise != null || secretFile != null || caFile != null
                    || cleartext) {
                throw CommandException.badInput("--cluster-password-file, --node-id, --advertise, "
                        + "--cluster-secret-file, --cluster-ca and --cluster-cleartext need --cluster");
            }
            return null;
        }
        if (secretFile == null) {
            throw CommandException.badInput("--cluster needs --cluster-secret-file (the same on every node)");
        }
        String host = hostnames.isEmpty() ? localHostName() : hostnames.get(0);
        URI url = advertise != null ? advertise
                : URI.create((tls ? "wss" : "ws") + "://" + host + ':' + listen.getPort());
        String id = nodeId != null ? nodeId : host + ':' + listen.getPort();
        try {
            String password = passwordFile != null ? read(passwordFile) : System.getenv(PASSWORD_ENV);
            return new RedisCluster(new ClusterConfig(redis, password, id, url, read(secretFile), nodeTrust(),
                    cleartext));
        } catch (IllegalArgumentException e) {
            throw CommandException.badInput(e.getMessage());
        }
    }

    private ClientTls nodeTrust() {
        if (caFile == null) {
            return null;
        }
        try {
            return TlsContexts.clientWithCa(caFile);
        } catch (TlsFileException e) {
            throw CommandException.badInput("--cluster-ca " + caFile + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw CommandException.badInput("cannot read --cluster-ca " + caFile + ": " + e.getMessage());
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw CommandException.badInput("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
