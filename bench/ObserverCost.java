/*
 * What the gateway's metrics cost per stream, in process: the accounting a tunnel does for one stream (opened,
 * 8 data messages each way, closed) on its TunnelMeter, with no observer (the counters every tunnel keeps) and
 * with the admin listener's GatewayMetrics (the Prometheus counters), on 1 and 2 threads (two event loops
 * sharing the Prometheus counters). Prints ns per stream for each, best of the timed rounds.
 *
 *   java -cp target/mproxy.jar bench/ObserverCost.java [STREAMS_PER_ROUND] [ROUNDS]
 *
 * The meter's update methods are the tunnel's own (package-private): this program calls them through method
 * handles, held in static finals so the JIT inlines them as it does a direct call.
 */

import dev.mproxy.admin.GatewayMetrics;
import dev.mproxy.tunnel.StreamKind;
import dev.mproxy.tunnel.TunnelMeter;
import dev.mproxy.tunnel.TunnelObserver;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;

public final class ObserverCost {

    private static final MethodHandle OPENED;
    private static final MethodHandle CLOSED;
    private static final MethodHandle SENT;
    private static final MethodHandle RECEIVED;
    private static final int MESSAGES = 8;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(TunnelMeter.class, MethodHandles.lookup());
            OPENED = lookup.findVirtual(TunnelMeter.class, "streamOpened", MethodType.methodType(void.class,
                    StreamKind.class));
            CLOSED = lookup.findVirtual(TunnelMeter.class, "streamClosed", MethodType.methodType(void.class,
                    StreamKind.class));
            SENT = lookup.findVirtual(TunnelMeter.class, "sentToPeer", MethodType.methodType(void.class,
                    StreamKind.class, int.class));
            RECEIVED = lookup.findVirtual(TunnelMeter.class, "receivedFromPeer", MethodType.methodType(void.class,
                    StreamKind.class, int.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        System.out.printf("# java %s, %d cores; %d streams per round, best of %d rounds; per stream: opened, %d data"
                + " messages each way, closed%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), streams, rounds, MESSAGES);
        GatewayMetrics metrics = new GatewayMetrics();
        for (int threads : new int[] {1, 2}) {
            double none = measure(threads, streams, rounds, TunnelObserver.NONE);
            double prometheus = measure(threads, streams, rounds, metrics);
            System.out.printf("threads=%d meter_only_ns_per_stream=%.1f with_metrics_ns_per_stream=%.1f "
                    + "metrics_cost_ns_per_stream=%.1f%n", threads, none, prometheus, prometheus - none);
        }
    }

    /** Best ns per stream over the rounds, each thread on its own meter as each event loop has its tunnels'. */
    private static double measure(int threads, int streams, int rounds, TunnelObserver observer) throws Exception {
        double best = Double.MAX_VALUE;
        for (int round = -3; round < rounds; round++) { // three warm-up rounds
            CyclicBarrier start = new CyclicBarrier(threads + 1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                TunnelMeter meter = new TunnelMeter(observer);
                Thread worker = new Thread(() -> {
                    try {
                        start.await();
                        run(meter, streams);
                    } catch (Throwable e) {
                        throw new RuntimeException(e);
                    }
                });
                worker.start();
                workers.add(worker);
            }
            start.await();
            long begin = System.nanoTime();
            for (Thread worker : workers) {
                worker.join();
            }
            double ns = (System.nanoTime() - begin) / (double) streams; // wall time per stream per thread
            if (round >= 0) {
                best = Math.min(best, ns);
            }
        }
        return best;
    }

    private static void run(TunnelMeter meter, int streams) throws Throwable {
        StreamKind kind = StreamKind.TCP;
        for (int i = 0; i < streams; i++) {
            OPENED.invokeExact(meter, kind);
            for (int m = 0; m < MESSAGES; m++) {
                SENT.invokeExact(meter, kind, 16384);
                RECEIVED.invokeExact(meter, kind, 16384);
            }
            CLOSED.invokeExact(meter, kind);
        }
        if (meter.streamsOpened(kind) < streams) {
            throw new AssertionError("counted " + meter.streamsOpened(kind) + " streams (expected: " + streams + ')');
        }
    }
}
