package dev.mproxy.connector;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.tunnel.ControlHandler;
import dev.mproxy.tunnel.ControlMessages;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.util.function.Consumer;

/**
 * The device's end of the control channel (protocol-spec/control.md): answers {@code hello}, reports
 * {@code grant} and errors the gateway sends.
 */
final class DeviceControl extends ControlHandler {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(DeviceControl.class);

    private final Consumer<ArrayNode> onGrant;

    DeviceControl(Consumer<ArrayNode> onGrant) {
        this.onGrant = onGrant;
    }

    @Override
    protected void onControl(ChannelHandlerContext ctx, MproxyMessage m) {
        ArrayNode command = ControlMessages.parse(m);
        if (command == null) {
            logger.warn("gateway sent a control message that is not a command: {}", m);
            return;
        }
        long id = command.get(0).asLong();
        if (id <= 0) {
            if (!command.path(1).isNull()) {
                logger.warn("gateway reports: {}", command.path(1));
            }
            return;
        }
        String name = command.path(1).asText("");
        switch (name) {
            case "hello":
                ctx.writeAndFlush(ControlMessages.ok(id));
                break;
            case "grant":
                onGrant.accept(command);
                break;
            default:
                ctx.writeAndFlush(ControlMessages.error(id, "E_UNKNOWN_COMMAND", "unknown command \"" + name + '"'));
        }
    }
}
