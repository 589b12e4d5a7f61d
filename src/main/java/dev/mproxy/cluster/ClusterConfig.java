package dev.mproxy.cluster;

import dev.mproxy.tls.ClientTls;
import io.netty.util.NetUtil;
import io.netty.util.internal.ObjectUtil;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * How a gateway joins a cluster (protocol-spec/cluster.md §1): where Redis is and its password, this node's id
 * and the URL the other nodes reach it by, and the secret node tunnels authenticate with.
 */
public final class ClusterConfig {

    /** How often a node refreshes its leases and reads the view (cluster 1.3). */
    public static final Duration HEARTBEAT = Duration.ofSeconds(1);
    /** How long a lease outlives its last refresh: three lost heartbeats (cluster 1.3). */
    public static final Duration LEASE = Duration.ofSeconds(3);
    /** How long one Redis command may take before the view counts as unreachable (cluster 1.2). */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);
    /** The shortest cluster secret: 256 bits of a random hex or base64 string (cluster 4.2). */
    public static final int MIN_SECRET_LENGTH = 32;

    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    private final URI redis;
    private final String password;
    private final String nodeId;
    private final URI advertise;
    private final String secret;
    private final ClientTls nodeTrust;
    private final boolean cleartext;

    /**
     * @param redis    {@code redis://HOST:PORT} or {@code rediss://HOST:PORT}
     * @param password Redis's password, or null
     * @param nodeId   this node's id (cluster 1.1)
     * @param advertise {@code ws://} or {@code wss://} URL of this node's device port
     * @param secret   the cluster secret, the same on every node (cluster 4.2)
     */
    public ClusterConfig(URI redis, String password, String nodeId, URI advertise, String secret) {
        this(redis, password, nodeId, advertise, secret, null, false);
    }

    /**
     * @param nodeTrust how to trust the other nodes' {@code wss://} URLs ({@code --cluster-ca}); null for the
     *                  JDK's CAs
     * @param cleartext whether {@code advertise} may be a {@code ws://} URL that is not loopback
     *                  ({@code --cluster-cleartext}): node tunnels, and the cluster secret they present, would then
     *                  cross the network unencrypted (cluster 4.2)
     */
    public ClusterConfig(URI redis, String password, String nodeId, URI advertise, String secret, ClientTls nodeTrust,
                         boolean cleartext) {
        this.redis = ObjectUtil.checkNotNull(redis, "redis");
        if (!"redis".equals(redis.getScheme()) && !"rediss".equals(redis.getScheme()) || redis.getHost() == null) {
            throw new IllegalArgumentException("cluster URL " + redis + " is not a Redis URL (expected: "
                    + "redis://HOST:PORT or rediss://HOST:PORT)");
        }
        this.password = password;
        this.nodeId = ObjectUtil.checkNotNull(nodeId, "nodeId");
        if (!NODE_ID.matcher(nodeId).matches()) {
            throw new IllegalArgumentException("node id \"" + nodeId + "\" is invalid (expected: 1-64 of "
                    + "A-Z a-z 0-9 . _ : -)");
        }
        this.advertise = ObjectUtil.checkNotNull(advertise, "advertise");
        if (!"ws".equals(advertise.getScheme()) && !"wss".equals(advertise.getScheme())
                || advertise.getHost() == null) {
            throw new IllegalArgumentException("advertised URL " + advertise + " is not a WebSocket URL (expected: "
                    + "ws://HOST:PORT or wss://HOST:PORT, how the other nodes reach this node's device port)");
        }
        if ("ws".equals(advertise.getScheme()) && !cleartext && !isLoopback(advertise.getHost())) {
            throw new IllegalArgumentException("advertised URL " + advertise + " is plain ws:// to an address that is "
                    + "not loopback: node tunnels, and the cluster secret they present, would cross the network "
                    + "unencrypted (expected: wss://HOST:PORT, or --cluster-cleartext on a network you trust)");
        }
        this.nodeTrust = nodeTrust;
        this.cleartext = cleartext;
        this.secret = ObjectUtil.checkNotNull(secret, "secret").strip();
        if (this.secret.length() < MIN_SECRET_LENGTH || !StandardCharsets.US_ASCII.newEncoder().canEncode(this.secret)
                || this.secret.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("cluster secret is " + this.secret.length() + " characters long "
                    + "(expected: at least " + MIN_SECRET_LENGTH + " printable ASCII characters, no spaces)");
        }
    }

    public URI redis() {
        return redis;
    }

    /** Redis's password, or null for none. */
    public String password() {
        return password;
    }

    public String nodeId() {
        return nodeId;
    }

    public URI advertise() {
        return advertise;
    }

    String secret() {
        return secret;
    }

    /** How this node trusts the others' {@code wss://} URLs; null for the JDK's CAs (cluster 4.2). */
    public ClientTls nodeTrust() {
        return nodeTrust;
    }

    /** Whether a {@code ws://} advertised URL beyond loopback was allowed ({@code --cluster-cleartext}). */
    public boolean cleartext() {
        return cleartext;
    }

    /** Whether {@code host} is {@code localhost} or a literal loopback address; a name is never looked up here. */
    static boolean isLoopback(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if ("localhost".equalsIgnoreCase(bare)) {
            return true;
        }
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(bare);
        try {
            return literal != null && InetAddress.getByAddress(literal).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The port of {@code uri}, or its scheme's default. */
    static int portOf(URI uri, int plain, int secure) {
        return uri.getPort() > 0 ? uri.getPort() : uri.getScheme().endsWith("s") ? secure : plain;
    }

    @Override
    public String toString() {
        return "ClusterConfig(redis: " + redis.getScheme() + "://" + redis.getHost() + ':' + portOf(redis, 6379, 6379)
                + ", password: " + (password != null) + ", nodeId: " + nodeId + ", advertise: " + advertise
                + ", nodeTrust: " + (nodeTrust == null ? "the JDK's CAs" : nodeTrust) + (cleartext ? ", cleartext" : "")
                + ')';
    }
}
