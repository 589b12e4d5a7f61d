package dev.mproxy.gateway;

import dev.mproxy.guard.AuthThrottle;
import dev.mproxy.guard.GuardLimits;
import dev.mproxy.guard.IdleClose;
import dev.mproxy.guard.MemoryBudget;
import dev.mproxy.guard.Refusal;
import dev.mproxy.guard.Refusals;
import dev.mproxy.guard.SourceKey;
import dev.mproxy.guard.SourceLimits;
import io.netty.channel.Channel;
import io.netty.util.internal.logging.InternalLoggerFactory;

/**
 * One gateway's bounds against a hostile internet, as protocol-spec/limits.md states them: what each source holds
 * on the public ports and on the device port, failed authentications per source, the gateway's memory budget, and
 * the count of every refusal.
 */
final class GatewayGuards {

    private final GuardLimits limits;
    private final Refusals refusals = Refusals.loggingTo(InternalLoggerFactory.getInstance(GatewayGuards.class));
    private final SourceLimits publicSources;
    private final SourceLimits deviceSources;
    private final AuthThrottle authThrottle = AuthThrottle.withDefaults();
    private final MemoryBudget memory;

    GatewayGuards(GuardLimits limits) {
        this.limits = limits;
        this.publicSources = new SourceLimits(limits.maxConnectionsPerSource());
        this.deviceSources = new SourceLimits(limits.maxConnectionsPerSource());
        this.memory = new MemoryBudget("gateway", limits.gatewayMemory(), null);
    }

    GuardLimits limits() {
        return limits;
    }

    Refusals refusals() {
        return refusals;
    }

    AuthThrottle authThrottle() {
        return authThrottle;
    }

    MemoryBudget memory() {
        return memory;
    }

    /** A new tunnel's budget, charged to the gateway's too (limits 3.1). */
    MemoryBudget newTunnelBudget(String name) {
        return new MemoryBudget(name, limits.tunnelMemory(), memory);
    }

    /**
     * Admits a connection accepted on a public port (limits 2.1, 2.3, 3.2): false, after closing it, when its source
     * holds its maximum or the gateway's memory is spent; else it is counted until closed and gets the idle timeout.
     */
    boolean admitPublic(Channel ch) {
        if (memory.isSpent()) {
            refusals.refuse(Refusal.MEMORY_BUDGET, "refused public connection from " + ch.remoteAddress() + ": "
                    + memory);
            ch.close();
            return false;
        }
        if (!publicSources.admit(ch)) {
            refusals.refuse(Refusal.TOO_MANY_CONNECTIONS, "refused public connection from " + ch.remoteAddress()
                    + " (limit: " + publicSources.max() + ')');
            ch.close();
            return false;
        }
        ch.pipeline().addFirst(new IdleClose(limits.streamIdleTimeout(), refusals));
        return true;
    }

    /**
     * Whether {@code ch}'s source failed to authenticate too often lately (limits 4.2); if so the refusal is counted
     * and logged, and the caller refuses without looking at the token.
     */
    boolean authThrottled(Channel ch) {
        if (!authThrottle.isThrottled(SourceKey.of(ch.remoteAddress()))) {
            return false;
        }
        refusals.refuse(Refusal.AUTH_THROTTLED, "refused authentication from " + ch.remoteAddress());
        return true;
    }

    /** A failed authentication from {@code ch}: logged with its source and code, counted against it (limits 4.2). */
    void authFailed(Channel ch, String code) {
        authThrottle.failed(SourceKey.of(ch.remoteAddress()));
        refusals.refuse(Refusal.BAD_TOKEN, "from " + ch.remoteAddress() + " (" + code + ')');
    }

    /** Admits a device-port connection (limits 2.1): false, after closing it, when its source holds its maximum. */
    boolean admitDevice(Channel ch) {
        if (!deviceSources.admit(ch)) {
            refusals.refuse(Refusal.TOO_MANY_CONNECTIONS, "refused device-port connection from " + ch.remoteAddress()
                    + " (limit: " + deviceSources.max() + ')');
            ch.close();
            return false;
        }
        return true;
    }
}
