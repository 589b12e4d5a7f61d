package dev.mproxy.relay;

import io.netty.util.concurrent.EventExecutor;

/**
 * One endpoint of a {@link Relay}: something that reads messages ({@link io.netty.buffer.ByteBuf}s, or
 * holders of them such as WebSocket frames) and writes the other endpoint's. Every method is called on the
 * relay's event loop, and the endpoint reports what happens to it through {@link Relay.Side}, on that loop too.
 * Implementations check that they are on it ({@code assert executor().inEventLoop()}): tests run with
 * assertions on, so a call from another thread fails there rather than as a rare race end to end.
 */
public interface RelayEnd {

    /** The event loop the endpoint runs on; its relay runs there too. */
    EventExecutor executor();

    /** Starts reporting to {@code side}; called once, before anything else. */
    void bind(Relay.Side side);

    /** Queues a message read by the other endpoint; takes ownership of it. */
    void write(Object message);

    /** Sends what {@link #write} queued. */
    void flush();

    /** Whether the endpoint can take more without its backlog passing the high water mark. */
    boolean isWritable();

    /** Starts or stops reading; a stopped endpoint reports no messages until started again. */
    void setReading(boolean reading);

    /** Ends the endpoint's output once everything written so far is sent (a FIN); reading goes on. */
    void shutdownOutput();

    /** Closes once everything written so far is sent. */
    void close();

    /** Closes at once, dropping what was not sent (a reset where the transport has one). */
    void abort();

    /**
     * Whether {@code message}, which this end has just read, is (part of) a text message, which a recording keeps
     * apart from binary data (recording 6.7). Only message-based transports (WebSocket) have text.
     */
    default boolean isText(Object message) {
        return false;
    }
}
