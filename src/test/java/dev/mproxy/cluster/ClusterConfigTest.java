package dev.mproxy.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code --cluster} and its options accept (protocol-spec/cluster.md 1.1, 1.2, 4.2). */
class ClusterConfigTest {

    private static final URI REDIS = URI.create("redis://127.0.0.1:6379");
    private static final URI ADVERTISE = URI.create("wss://gw1.example.com:7443");
    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    @Test
    void acceptsWhatTheSpecAllows() {
        ClusterConfig config = new ClusterConfig(URI.create("rediss://r.internal:6380"), "pw", "gw1.example.com:7443",
                ADVERTISE, "  " + SECRET + "\n");
        assertEquals("gw1.example.com:7443", config.nodeId());
        assertEquals(SECRET, config.secret()); // a file's trailing newline is not part of it
    }

    @Test
    void refusesANonRedisUrl() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClusterConfig(URI.create("http://127.0.0.1:6379"), null, "a", ADVERTISE, SECRET));
        assertEquals("cluster URL http://127.0.0.1:6379 is not a Redis URL (expected: redis://HOST:PORT or "
                + "rediss://HOST:PORT)", e.getMessage());
    }

    @Test
    void refusesABadNodeId() { // cluster 1.1
        assertThrows(IllegalArgumentException.class, () -> new ClusterConfig(REDIS, null, "a b", ADVERTISE, SECRET));
        assertThrows(IllegalArgumentException.class,
                () -> new ClusterConfig(REDIS, null, "n".repeat(65), ADVERTISE, SECRET));
    }

    @Test
    void refusesAnAdvertisedUrlThatIsNotAWebSocket() {
        assertThrows(IllegalArgumentException.class,
                () -> new ClusterConfig(REDIS, null, "a", URI.create("https://gw1:7443"), SECRET));
    }

    @Test
    void refusesAPlainWsUrlBeyondLoopbackUnlessCleartextIsAllowed() { // cluster 4.8: the secret would cross in clear
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClusterConfig(REDIS, null, "a", URI.create("ws://gw1.internal:7443"), SECRET));
        assertEquals("advertised URL ws://gw1.internal:7443 is plain ws:// to an address that is not loopback: node "
                + "tunnels, and the cluster secret they present, would cross the network unencrypted (expected: "
                + "wss://HOST:PORT, or --cluster-cleartext on a network you trust)", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new ClusterConfig(REDIS, null, "a", URI.create("ws://10.0.0.7:7443"), SECRET));
        assertTrue(new ClusterConfig(REDIS, null, "a", URI.create("ws://10.0.0.7:7443"), SECRET, null, true)
                .cleartext());
        for (String loopback : List.of("ws://127.0.0.1:7443", "ws://127.0.0.3:7443", "ws://localhost:7443",
                "ws://[::1]:7443")) {
            assertEquals(URI.create(loopback), new ClusterConfig(REDIS, null, "a", URI.create(loopback), SECRET)
                    .advertise());
        }
    }

    @Test
    void refusesAShortSecret() { // cluster 4.2
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClusterConfig(REDIS, null, "a", ADVERTISE, SECRET.substring(1)));
        assertEquals("cluster secret is 31 characters long (expected: at least 32 printable ASCII characters, no "
                + "spaces)", e.getMessage());
    }
}
