package dev.mproxy.gateway;

import dev.mproxy.tunnel.TunnelObserver;

/**
 * Hears what the gateway does, for metrics: devices coming and going, refusals, failed authentication, and through
 * {@link TunnelObserver} each tunnel's streams, pauses and ping round trips. Called on event loops: an implementation
 * must neither block nor lock (counters such as {@link java.util.concurrent.atomic.LongAdder} fit). Bytes are not
 * reported here: each device counts its own in its {@link dev.mproxy.tunnel.TunnelMeter}, read when asked
 * ({@link DeviceView#meter()}), so the per-message path stays a plain add. Every method does nothing by default.
 */
public interface GatewayObserver extends TunnelObserver {

    /** Hears nothing. */
    GatewayObserver NONE = new GatewayObserver() {
    };

    /** A device authenticated and was registered (a device connecting again replaces its old tunnel). */
    default void deviceConnected(DeviceView device) {
    }

    /** A registered device's tunnel closed; its meter counts no more. */
    default void deviceDisconnected(DeviceView device) {
    }

    /** The gateway refused something for {@code reason}. */
    default void refused(RefusalReason reason) {
    }

    /** A tunnel refused a public connection at its stream limit: a refusal like the others. */
    @Override
    default void streamLimitReached() {
        refused(RefusalReason.STREAM_LIMIT);
    }

    /** A device token presented at the upgrade or in {@code add_token} did not verify, or was revoked. */
    default void authenticationFailed() {
    }
}
