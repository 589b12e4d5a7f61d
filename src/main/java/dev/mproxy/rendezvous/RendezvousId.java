package dev.mproxy.rendezvous;

import java.util.Objects;

/**
 * Relay ids (rendezvous 1.2): opaque strings in one of two shapes. An <em>unguessable</em> id, 16 to 128 base64url
 * characters, may be used by any peer; an id in <em>MeshCentral's</em> shape (its web UI's 10 or 11 base-36
 * characters, its server's 12 with {@code @} and {@code $}, its messenger's with {@code /}) only by a peer with a
 * token, since a stranger could guess it. The {@code mproxy relay} client makes and takes unguessable ids only.
 */
public final class RendezvousId {

    /** 96 bits when random: the id is all an unauthenticated peer needs to join a waiting one (rendezvous 2.1). */
    public static final int MIN_LENGTH = 16;

    /** Ids travel in a request line and in log lines; longer ones are refused rather than stored. */
    public static final int MAX_LENGTH = 128;

    /**
     * The longest id in MeshCentral's shape: its messenger's ids hold a node id (70 characters) and a user id,
     * which can pass 128.
     */
    public static final int MAX_MESHCENTRAL_LENGTH = 256;

    private static final String EXPECTED = "(expected: " + MIN_LENGTH + " to " + MAX_LENGTH
            + " base64url characters: A-Z, a-z, 0-9, '-' and '_', no padding)";

    private static final String EXPECTED_AT_GATEWAY = "(expected: " + MIN_LENGTH + " to " + MAX_LENGTH
            + " base64url characters, or with a token 1 to " + MAX_MESHCENTRAL_LENGTH
            + " printable ASCII characters, as MeshCentral's ids)";

    private RendezvousId() {
    }

    /**
     * Checks an unguessable relay id, the only shape the {@code mproxy relay} client uses.
     *
     * @return {@code id} unchanged
     * @throws IllegalArgumentException saying what is wrong and what was expected
     */
    public static String check(String id) {
        Objects.requireNonNull(id, "id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("relay id is empty " + EXPECTED);
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!isBase64Url(c)) {
                throw new IllegalArgumentException("relay id holds " + describe(c) + " at index " + i + ' '
                        + EXPECTED);
            }
        }
        if (id.length() < MIN_LENGTH || id.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("relay id is " + id.length() + " characters long " + EXPECTED);
        }
        return id;
    }

    /**
     * Checks an id the gateway accepts in either shape (rendezvous 1.2): unguessable, or 1 to
     * {@value #MAX_MESHCENTRAL_LENGTH} characters of printable ASCII (U+0021 to U+007E: no space, no control
     * character), which MeshCentral's ids are. Whether the peer may use it is {@link #isUnguessable}'s question.
     *
     * @return {@code id} unchanged
     * @throws IllegalArgumentException saying what is wrong and what was expected
     */
    public static String checkAtGateway(String id) {
        Objects.requireNonNull(id, "id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("relay id is empty " + EXPECTED_AT_GATEWAY);
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                throw new IllegalArgumentException("relay id holds " + describe(c) + " at index " + i + ' '
                        + EXPECTED_AT_GATEWAY);
            }
        }
        if (id.length() > MAX_MESHCENTRAL_LENGTH) {
            throw new IllegalArgumentException("relay id is " + id.length() + " characters long "
                    + EXPECTED_AT_GATEWAY);
        }
        return id;
    }

    /** Whether {@code id} has the unguessable shape: {@value #MIN_LENGTH} to {@value #MAX_LENGTH} base64url. */
    public static boolean isUnguessable(String id) {
        if (id.length() < MIN_LENGTH || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            if (!isBase64Url(id.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBase64Url(char c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    private static String describe(char c) {
        return c > ' ' && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }
}
