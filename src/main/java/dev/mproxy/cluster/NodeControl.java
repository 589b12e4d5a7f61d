package dev.mproxy.cluster;

import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.tunnel.ControlHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.nio.charset.StandardCharsets;

/** A node tunnel's control channel: nodes send nothing on it yet (cluster 4.1), so whatever comes is logged. */
final class NodeControl extends ControlHandler {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(NodeControl.class);

    @Override
    protected void onControl(ChannelHandlerContext ctx, MproxyMessage message) {
        logger.debug("{}: ignoring control message {}", ctx.channel(), message.content().toString(StandardCharsets.UTF_8));
    }
}
