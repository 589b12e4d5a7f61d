package dev.mproxy.rendezvous;

import java.io.IOException;

/** Joining a relay id did not end in a pair (rendezvous 6.2); the message says why, in one line. */
public final class RendezvousJoinException extends IOException {

    private static final long serialVersionUID = 1L;

    /** What the client can do about it. */
    public enum Kind {
        /** The gateway answered the upgrade with an HTTP error (rendezvous 1.2-1.4): trying again cannot help. */
        REFUSED_UPGRADE,
        /** No peer came within the gateway's hold timeout (rendezvous 2.3): join again at once. */
        HOLD_TIMEOUT,
        /** Anything else: the gateway unreachable, a refusal after the upgrade, a broken connection. */
        FAILED
    }

    private final Kind kind;

    RendezvousJoinException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
