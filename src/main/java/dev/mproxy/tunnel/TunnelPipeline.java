package dev.mproxy.tunnel;

import dev.mproxy.protocol.MproxyMessageDecoder;
import dev.mproxy.protocol.MproxyMessageEncoder;
import dev.mproxy.websocket.PayloadSlicer;
import dev.mproxy.websocket.WebSocketFrameCodec;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.time.Duration;

/**
 * A WebSocket turned into a tunnel, the same at both ends: binary frames, the M-PROXY codec, the stream
 * table, the control channel and the keepalive, added once the WebSocket handshake is done.
 */
public final class TunnelPipeline {

    /** Pipeline name of the TLS handler, which the keepalive's idle timer must follow. */
    public static final String TLS = "tls";

    /** WebSocket frames carry M-PROXY messages of at most 1 MiB of body plus a 257-byte head (rule 2.6). */
    public static final int MAX_FRAME_PAYLOAD = 1024 * 1024 + 512;

    /** Flushes deferred to the end of an event-loop turn, at most: a turn with more flushes than this flushes. */
    private static final int FLUSH_AFTER_WRITES = 256;

    private TunnelPipeline() {
    }

    /** Adds the tunnel's handlers behind the WebSocket handlers already in {@code pipeline}. */
    public static void install(ChannelPipeline pipeline, TunnelHandler tunnel, ControlHandler control,
                               Duration pingInterval, Duration pingTimeout) {
        // The device is the side that dials out: the WebSocket client, whose frames are masked.
        WebSocketFrameCodec frames = tunnel.isDeviceSide()
                ? WebSocketFrameCodec.client(pipeline) : WebSocketFrameCodec.SERVER;
        install(pipeline, frames, tunnel, control, pingInterval, pingTimeout);
    }

    /**
     * {@link #install(ChannelPipeline, TunnelHandler, ControlHandler, Duration, Duration)} where the WebSocket's
     * client is not the device side: a node tunnel's entry dials out and opens streams (cluster 4.1).
     */
    public static void install(ChannelPipeline pipeline, WebSocketFrameCodec frames, TunnelHandler tunnel,
                               ControlHandler control, Duration pingInterval, Duration pingTimeout) {
        // Every stream's read burst flushes the tunnel; one flush per event-loop turn instead makes one TLS record
        // and one write(2) of what many streams sent meanwhile (bench/README.md, "Where the time goes").
        PayloadSlicer.addInFront(pipeline, frames.peerMasks(), MAX_FRAME_PAYLOAD);
        pipeline.addLast(new FlushConsolidationHandler(FLUSH_AFTER_WRITES, true), frames, new MproxyMessageDecoder(),
                MproxyMessageEncoder.INSTANCE, tunnel, control);
        Keepalive.install(pipeline, pingInterval, pingTimeout);
    }
}
