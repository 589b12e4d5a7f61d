package dev.mproxy.connector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.tunnel.ControlHandler;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.tunnel.Grant;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The device's end of the control channel (protocol-spec/control.md), as telebit's device speaks it so that
 * telebit's relay serves it too: answers {@code hello} and then sends its token in-band ({@code add_token}),
 * takes a {@code grant} whether it comes before {@code hello} (the relay, given the token at the upgrade) or
 * after, gathers the refusals that precede a grant, and reports errors the gateway sends.
 */
final class DeviceControl extends ControlHandler {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(DeviceControl.class);

    /** Id of this side's {@code add_token}; the gateway's own requests count up from 1. */
    private static final long ADD_TOKEN_ID = 1_000_001;

    private final String token;
    private final String gateway;
    private final Consumer<Grant> onGrant;
    /** Refusals since the last grant: the gateway sends them just before the grant they belong to. */
    private final List<Grant.Refusal> refused = new ArrayList<>();

    /**
     * @param token   the device token, sent in-band after {@code hello}
     * @param gateway names the gateway in log lines
     * @param onGrant sees each grant; the device is then serving
     */
    DeviceControl(String token, String gateway, Consumer<Grant> onGrant) {
        this.token = token;
        this.gateway = gateway;
        this.onGrant = onGrant;
    }

    @Override
    protected void onControl(ChannelHandlerContext ctx, MproxyMessage m) {
        ArrayNode command = ControlMessages.parse(m);
        if (command == null) {
            logger.warn("gateway {} sent a control message that is not a command: {}", gateway, m);
            return;
        }
        long id = command.get(0).asLong();
        if (id < 0) {
            onReply(-id, command.path(1));
            return;
        }
        if (id == 0) {
            onError(command.path(1));
            return;
        }
        String name = command.path(1).asText("");
        switch (name) {
            case "hello":
                ctx.write(ControlMessages.ok(id));
                // telebit's device always sends its token in-band; the relay then has it even when it did not
                // read the upgrade's header, and a gateway that did answers success (control 2.3)
                ctx.writeAndFlush(ControlMessages.command(ADD_TOKEN_ID, "add_token", token));
                break;
            case "grant":
                grant(command.path(2));
                break;
            case "access_token":
                // telebit's relay hands out an upgraded token this way; this connector keeps the one it was given
                logger.info("gateway {} offered a new token, which is not used: mproxy connect keeps the token it "
                        + "was started with", gateway);
                break;
            default:
                ctx.writeAndFlush(ControlMessages.error(id, "E_UNKNOWN_COMMAND", "unknown command \"" + name + '"'));
        }
    }

    private void onReply(long request, JsonNode result) {
        if (result.isNull() || result.isMissingNode()) {
            return;
        }
        if (request == ADD_TOKEN_ID) {
            // telebit's relay answers a token its verifier returns nothing for with an empty object
            logger.warn("gateway {} refused the token: {}", gateway, result.isEmpty()
                    ? "no reason given (telebit's relay sends none; check the token's secret, exp, id and domains)"
                    : describe(result));
        } else {
            logger.warn("gateway {} answered request {} with an error: {}", gateway, request, describe(result));
        }
    }

    private void onError(JsonNode error) {
        Grant.Refusal refusal = error.isObject() ? Grant.Refusal.fromError(error) : null;
        if (refusal != null) {
            refused.add(refusal);
            logger.warn("gateway {} refused {}", gateway, refusal);
        } else {
            logger.warn("gateway {} reports: {}", gateway, describe(error));
        }
    }

    private void grant(JsonNode entries) {
        Grant grant;
        try {
            grant = Grant.fromTelebit(entries, refused);
        } catch (IllegalArgumentException e) {
            logger.warn("gateway {} sent a grant this connector cannot read: {}", gateway, e.getMessage());
            return;
        } finally {
            refused.clear();
        }
        onGrant.accept(grant);
    }

    private static String describe(JsonNode error) {
        String message = error.path("message").asText("");
        String code = error.path("code").asText("");
        return message.isEmpty() && code.isEmpty() ? error.toString()
                : message + (code.isEmpty() ? "" : " (" + code + ')');
    }
}
