package dev.mproxy.rendezvous;

import java.util.Objects;

/** Relay ids (rendezvous 1.2): opaque base64url strings, long enough not to be guessed. */
public final class RendezvousId {

    /** 96 bits when random: the id is all an unauthenticated peer needs to join a waiting one (rendezvous 2.1). */
    public static final int MIN_LENGTH = 16;

    /** Ids travel in a request line and in log lines; longer ones are refused rather than stored. */
    public static final int MAX_LENGTH = 128;

    private static final String EXPECTED = "(expected: " + MIN_LENGTH + " to " + MAX_LENGTH
            + " base64url characters: A-Z, a-z, 0-9, '-' and '_', no padding)";

    private RendezvousId() {
    }

    /**
     * Checks a relay id.
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

    private static boolean isBase64Url(char c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    private static String describe(char c) {
        return c > ' ' && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }
}
