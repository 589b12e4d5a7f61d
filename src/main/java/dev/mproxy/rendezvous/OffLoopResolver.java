package dev.mproxy.rendezvous;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Looks host names up on threads of its own: Netty's default resolver calls the JDK's blocking lookup on the
 * event loop that connects, which stalls every channel of that loop while DNS is slow. Each connection looks
 * its name up again, so a name that moves is followed.
 */
final class OffLoopResolver {

    /** A blocking lookup of one host name. */
    interface Lookup {
        InetAddress lookup(String host) throws UnknownHostException;
    }

    /** The JDK's lookup: the hosts file and DNS as the system is configured, with the JDK's cache. */
    static final OffLoopResolver SYSTEM = new OffLoopResolver(InetAddress::getByName);

    /** Never shut down: idle threads end after a minute, and they are daemons, so none keeps a process alive. */
    private static final ExecutorService LOOKUPS = Executors.newCachedThreadPool(
            new DefaultThreadFactory("mproxy-lookup", true));

    private final Lookup lookup;

    OffLoopResolver(Lookup lookup) {
        this.lookup = lookup;
    }

    /**
     * {@code address} with its host looked up, or as it is if it needs no lookup; the future completes on
     * {@code loop} and fails with the lookup's {@link UnknownHostException}.
     */
    Future<InetSocketAddress> resolve(EventLoop loop, InetSocketAddress address) {
        Promise<InetSocketAddress> resolved = loop.newPromise();
        if (!address.isUnresolved()) {
            return resolved.setSuccess(address);
        }
        LOOKUPS.execute(() -> {
            try {
                resolved.trySuccess(new InetSocketAddress(lookup.lookup(address.getHostString()), address.getPort()));
            } catch (UnknownHostException | RuntimeException e) {
                resolved.tryFailure(e);
            }
        });
        return resolved;
    }
}
