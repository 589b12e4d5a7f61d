package dev.mproxy.tunnel;

import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;

/** Error codes of {@code error} bodies (protocol-spec/streams.md §5), node-style as telebit peers send them. */
public final class StreamErrors {

    /** Data, pause or resume for a stream the receiver does not have. */
    static final String NO_CONN = "E_NO_CONN";
    /** The local service refused the connection. */
    static final String CONNECTION_REFUSED = "ECONNREFUSED";
    /** The local service did not answer in time. */
    static final String TIMED_OUT = "ETIMEDOUT";
    /** The local service's host name does not resolve. */
    static final String NOT_FOUND = "ENOTFOUND";
    /** The local service's host is unreachable. */
    static final String HOST_UNREACHABLE = "EHOSTUNREACH";
    /** The connection was reset or closed before both directions ended. */
    static final String CONNECTION_RESET = "ECONNRESET";
    /** The peer kept sending after {@code pause} past the hard cap. */
    static final String PAUSE_IGNORED = "E_PAUSE_IGNORED";
    /** The device has no mapping for the requested service and port or name. */
    public static final String NO_TARGET = "E_NO_TARGET";
    /** A message that is not allowed in this direction or state (data after end, duplicate connection). */
    public static final String PROTOCOL = "E_PROTOCOL";
    /** The tunnel already carries its maximum number of streams. */
    static final String TOO_MANY_STREAMS = "E_TOO_MANY_STREAMS";
    /** Anything else. */
    static final String UNKNOWN = "E_UNKNOWN_ERR";

    private StreamErrors() {
    }

    /** The code for a failure to open a local connection. */
    static String codeOf(Throwable cause) {
        if (cause instanceof StreamException) {
            return ((StreamException) cause).code();
        }
        if (cause != null && cause.getCause() instanceof StreamException) {
            return ((StreamException) cause.getCause()).code(); // a StreamOpener may throw only unchecked
        }
        if (cause instanceof ConnectTimeoutException) {
            return TIMED_OUT;
        }
        if (cause instanceof NoRouteToHostException) {
            return HOST_UNREACHABLE;
        }
        if (cause instanceof ConnectException) {
            return CONNECTION_REFUSED;
        }
        if (cause instanceof UnknownHostException) {
            return NOT_FOUND;
        }
        return UNKNOWN;
    }

    /**
     * A failure to connect to {@code target}, worded as node words it ({@code connect ECONNREFUSED
     * 127.0.0.1:3000}) because telebit devices and their users know that form.
     */
    public static StreamException connectFailure(Throwable cause, String target) {
        String code = codeOf(cause);
        return new StreamException(code, "connect " + code + ' ' + target);
    }
}
