package dev.mproxy.admin;

import dev.mproxy.gateway.DeviceView;
import dev.mproxy.gateway.GatewayObserver;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.gateway.RefusalReason;
import dev.mproxy.guard.Refusal;
import dev.mproxy.relay.RecordingCounters;
import dev.mproxy.rendezvous.RendezvousMetrics;
import dev.mproxy.transport.RecyclingAllocator;
import dev.mproxy.tunnel.StreamKind;
import dev.mproxy.tunnel.TunnelMeter;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * The gateway's metrics in Prometheus' text format (protocol-spec/admin.md §3), on the Prometheus Java client.
 * Events (streams opened, refusals, failed authentication, pauses, round trips) count into the client's own
 * counters as they happen; bytes and open streams are read from each device's {@link TunnelMeter} at scrape time,
 * with the bytes of devices gone kept in a running total, so the data path stays a plain add per message.
 * Labels are bounded: kinds, directions and reasons are fixed sets, and devices are labelled only up to
 * {@link #MAX_DEVICE_SERIES}; no label ever holds a client's address.
 */
public final class GatewayMetrics implements GatewayObserver {

    /** Devices with series of their own in {@code mproxy_device_bytes_total}; the others add up as {@code _other}. */
    public static final int MAX_DEVICE_SERIES = 50;
    /** The device label of the devices past {@link #MAX_DEVICE_SERIES}. */
    public static final String OTHER_DEVICES = "_other";
    /** Round-trip buckets, in seconds: a LAN's millisecond to a congested link's many seconds. */
    private static final double[] RTT_BUCKETS = {.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

    private static final String TO_DEVICE = "to_device";
    private static final String FROM_DEVICE = "from_device";

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    /** Devices connected now, as the observer heard; guarded by {@code this} with {@link #retired}. */
    private final Set<DeviceView> devices = new LinkedHashSet<>();
    /** Bytes of devices gone, by kind: [to device, from device]. Guarded by {@code this}. */
    private final long[][] retired = new long[StreamKind.values().length][2];
    private final Map<StreamKind, CounterDataPoint> opened = new EnumMap<>(StreamKind.class);
    private final Map<RefusalReason, CounterDataPoint> refusals = new EnumMap<>(RefusalReason.class);
    private final CounterDataPoint authFailures;
    private final CounterDataPoint pausesByDevice;
    private final CounterDataPoint pausesByGateway;
    private final CounterDataPoint pausedSeconds;
    private final Histogram roundTrips;
    private GatewayServer gateway;

    public GatewayMetrics() {
        Counter streamsOpened = Counter.builder().name("mproxy_streams_opened_total")
                .help("Streams opened through device tunnels, by what they carry (relay: rendezvous pairs).")
                .labelNames("kind").withoutExemplars().register(registry);
        for (StreamKind kind : StreamKind.values()) {
            if (kind != StreamKind.RELAY) {
                opened.put(kind, streamsOpened.labelValues(kind.label()));
            }
        }
        Counter refused = Counter.builder().name("mproxy_refusals_total")
                .help("Connections, grants and tokens the gateway refused, by reason.")
                .labelNames("reason").withoutExemplars().register(registry);
        for (RefusalReason reason : RefusalReason.values()) {
            refusals.put(reason, refused.labelValues(reason.label())); // every reason shows, at 0 until it happens
        }
        authFailures = Counter.builder().name("mproxy_auth_failures_total")
                .help("Device tokens that did not verify or were revoked, at the upgrade or in add_token.")
                .withoutExemplars().register(registry).labelValues();
        Counter pauses = Counter.builder().name("mproxy_pause_events_total")
                .help("Stream pauses (flow control): by=device when the device paused the gateway (its local "
                        + "service is slow), by=gateway when the gateway paused the device (a public client is slow).")
                .labelNames("by").withoutExemplars().register(registry);
        pausesByDevice = pauses.labelValues("device");
        pausesByGateway = pauses.labelValues("gateway");
        pausedSeconds = Counter.builder().name("mproxy_paused_seconds_total")
                .help("Time streams spent paused by their device, summed over streams.")
                .withoutExemplars().register(registry).labelValues();
        roundTrips = Histogram.builder().name("mproxy_tunnel_rtt_seconds")
                .help("Round trip of the gateway's WebSocket pings to devices, from each pong.")
                .classicOnly().classicUpperBounds(RTT_BUCKETS).withoutExemplars().register(registry);

        GaugeWithCallback.builder().name("mproxy_devices_connected").help("Devices connected now.")
                .callback(cb -> cb.call(connectedDevices())).register(registry);
        GaugeWithCallback.builder().name("mproxy_streams_open")
                .help("Streams open now, by what they carry (relay: rendezvous pairs relaying).")
                .labelNames("kind").callback(cb -> {
                    long[] open = openStreams();
                    for (StreamKind kind : StreamKind.values()) {
                        cb.call(open[kind.ordinal()], kind.label());
                    }
                }).register(registry);
        CounterWithCallback.builder().name("mproxy_bytes_total")
                .help("Stream bytes through device tunnels: to_device from public clients, from_device to them.")
                .labelNames("direction", "kind").callback(cb -> {
                    long[][] bytes = bytes();
                    for (StreamKind kind : StreamKind.values()) {
                        if (kind != StreamKind.RELAY) {
                            cb.call(bytes[kind.ordinal()][0], TO_DEVICE, kind.label());
                            cb.call(bytes[kind.ordinal()][1], FROM_DEVICE, kind.label());
                        }
                    }
                }).register(registry);
        CounterWithCallback.builder().name("mproxy_limit_refusals_total")
                .help("What the gateway's bounds against a hostile internet refused or closed, by reason "
                        + "(protocol-spec/limits.md): per-source caps, deadlines, idle streams, memory budgets, ...")
                .labelNames("reason").callback(cb -> {
                    GatewayServer served = gateway;
                    for (Refusal reason : Refusal.values()) { // every reason shows, at 0 until it happens
                        cb.call(served == null ? 0 : served.refusals().count(reason),
                                reason.name().toLowerCase(Locale.ROOT));
                    }
                }).register(registry);
        CounterWithCallback.builder().name("mproxy_device_bytes_total")
                .help("Stream bytes of each connected device (the first " + MAX_DEVICE_SERIES + " by id; the rest "
                        + "summed as device=\"" + OTHER_DEVICES + "\"); a device's series ends when it disconnects.")
                .labelNames("device", "direction").callback(cb -> {
                    List<DeviceView> sorted = new ArrayList<>(devicesNow());
                    sorted.sort(Comparator.comparing(DeviceView::id));
                    long otherTo = 0;
                    long otherFrom = 0;
                    for (int i = 0; i < sorted.size(); i++) {
                        TunnelMeter meter = sorted.get(i).meter();
                        if (i < MAX_DEVICE_SERIES) {
                            cb.call(meter.bytesToPeer(), sorted.get(i).id(), TO_DEVICE);
                            cb.call(meter.bytesFromPeer(), sorted.get(i).id(), FROM_DEVICE);
                        } else {
                            otherTo += meter.bytesToPeer();
                            otherFrom += meter.bytesFromPeer();
                        }
                    }
                    if (sorted.size() > MAX_DEVICE_SERIES) {
                        cb.call(otherTo, OTHER_DEVICES, TO_DEVICE);
                        cb.call(otherFrom, OTHER_DEVICES, FROM_DEVICE);
                    }
                }).register(registry);

        rendezvous("mproxy_rendezvous_waiting_peers", "Rendezvous peers waiting for their second peer.", false,
                RendezvousMetrics::waitingPeers);
        rendezvous("mproxy_rendezvous_pairs_active", "Rendezvous pairs relaying now.", false, RendezvousMetrics::activePairs);
        rendezvous("mproxy_rendezvous_pairs_started_total", "Rendezvous pairs started.", true, RendezvousMetrics::pairsStarted);
        rendezvous("mproxy_rendezvous_hold_timeouts_total", "Rendezvous peers closed as no second peer came in time.",
                true, RendezvousMetrics::holdTimeouts);
        rendezvous("mproxy_rendezvous_refused_peers_total", "Rendezvous peers refused (bad id, id taken, ...).",
                true, RendezvousMetrics::refusedPeers);
        recording("mproxy_recording_bytes_total", "Stream bytes written into recordings (--record).",
                RecordingCounters::bytesRecorded);
        recording("mproxy_recording_failures_total", "Recordings that failed; each closed its stream.",
                RecordingCounters::failures);

        GaugeWithCallback.builder().name("mproxy_direct_memory_used_bytes")
                .help("Direct memory Netty's buffers and the recycled 64 KiB blocks hold now.")
                .callback(cb -> cb.call(directMemoryUsed())).register(registry);
        GaugeWithCallback.builder().name("mproxy_direct_memory_max_bytes")
                .help("The direct memory budget (-XX:MaxDirectMemorySize, else the heap's maximum).")
                .callback(cb -> cb.call(PlatformDependent.maxDirectMemory())).register(registry);
        GaugeWithCallback.builder().name("mproxy_event_loop_pending_tasks")
                .help("Tasks waiting on the gateway's event loops, summed.")
                .callback(cb -> {
                    GatewayServer g = gateway;
                    cb.call(g == null ? 0 : g.pendingTasks());
                }).register(registry);
    }

    /** The gateway whose rendezvous, recorder and event loops are read at each scrape; set once it is built. */
    public void gateway(GatewayServer gateway) {
        this.gateway = gateway;
    }

    /** Writes every metric in Prometheus' text format 0.0.4. */
    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }

    /** The media type of {@link #write}. */
    public String contentType() {
        return writer.getContentType();
    }

    /** Refusals so far by reason label, every reason present, for the API and dashboard. */
    public Map<String, Long> refusalCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        refusals.forEach((reason, count) -> counts.put(reason.label(), count.getLongValue()));
        return counts;
    }

    /** Failed device authentications so far. */
    public long authFailures() {
        return authFailures.getLongValue();
    }

    /** Streams opened so far by kind label (tunnel streams; relay pairs are the rendezvous' own count). */
    public Map<String, Long> streamsOpened() {
        Map<String, Long> counts = new LinkedHashMap<>();
        opened.forEach((kind, count) -> counts.put(kind.label(), count.getLongValue()));
        return counts;
    }

    /** Stream bytes so far, devices gone included: {@code {"to_device": n, "from_device": n}}. */
    public Map<String, Long> bytesTotal() {
        long to = 0;
        long from = 0;
        for (long[] kind : bytes()) {
            to += kind[0];
            from += kind[1];
        }
        return Map.of(TO_DEVICE, to, FROM_DEVICE, from);
    }

    /** Streams open now by kind label, relay pairs included. */
    public Map<String, Long> streamsOpen() {
        long[] open = openStreams();
        Map<String, Long> counts = new LinkedHashMap<>();
        for (StreamKind kind : StreamKind.values()) {
            counts.put(kind.label(), open[kind.ordinal()]);
        }
        return counts;
    }

    // ---- GatewayObserver, on event loops: no lock on the stream path ----------------------------------------

    @Override
    public synchronized void deviceConnected(DeviceView device) {
        devices.add(device);
    }

    @Override
    public synchronized void deviceDisconnected(DeviceView device) {
        if (devices.remove(device)) {
            TunnelMeter meter = device.meter();
            for (StreamKind kind : StreamKind.values()) {
                retired[kind.ordinal()][0] += meter.bytesToPeer(kind);
                retired[kind.ordinal()][1] += meter.bytesFromPeer(kind);
            }
        }
    }

    @Override
    public void streamOpened(StreamKind kind) {
        opened.get(kind).inc();
    }

    @Override
    public void refused(RefusalReason reason) {
        refusals.get(reason).inc();
    }

    @Override
    public void authenticationFailed() {
        authFailures.inc();
    }

    @Override
    public void paused(boolean byPeer) {
        (byPeer ? pausesByDevice : pausesByGateway).inc();
    }

    @Override
    public void pausedFor(long nanos) {
        pausedSeconds.inc(nanos / 1e9);
    }

    @Override
    public void roundTrip(long nanos) {
        roundTrips.observe(nanos / 1e9);
    }

    // ---- read at scrape time ---------------------------------------------------------------------------------

    private synchronized int connectedDevices() {
        return devices.size();
    }

    private synchronized List<DeviceView> devicesNow() {
        return List.copyOf(devices);
    }

    private long[] openStreams() {
        long[] open = new long[StreamKind.values().length];
        for (DeviceView device : devicesNow()) {
            for (StreamKind kind : StreamKind.values()) {
                open[kind.ordinal()] += device.meter().streamsOpen(kind);
            }
        }
        GatewayServer g = gateway;
        open[StreamKind.RELAY.ordinal()] = g == null ? 0 : g.rendezvous().metrics().activePairs();
        return open;
    }

    /** Live devices' bytes plus those of devices gone, read under the lock that moves a device from one to the other. */
    private synchronized long[][] bytes() {
        long[][] sum = new long[StreamKind.values().length][];
        for (StreamKind kind : StreamKind.values()) {
            sum[kind.ordinal()] = retired[kind.ordinal()].clone();
            for (DeviceView device : devices) {
                sum[kind.ordinal()][0] += device.meter().bytesToPeer(kind);
                sum[kind.ordinal()][1] += device.meter().bytesFromPeer(kind);
            }
        }
        return sum;
    }

    private void rendezvous(String name, String help, boolean counter, ToLongFunction<RendezvousMetrics> value) {
        if (counter) {
            CounterWithCallback.builder().name(name).help(help).callback(cb -> {
                GatewayServer g = gateway;
                cb.call(g == null ? 0 : value.applyAsLong(g.rendezvous().metrics()));
            }).register(registry);
        } else {
            GaugeWithCallback.builder().name(name).help(help).callback(cb -> {
                GatewayServer g = gateway;
                cb.call(g == null ? 0 : value.applyAsLong(g.rendezvous().metrics()));
            }).register(registry);
        }
    }

    private void recording(String name, String help, ToLongFunction<RecordingCounters> value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> {
            GatewayServer g = gateway;
            cb.call(g == null || g.recorder() == null ? 0 : value.applyAsLong(g.recorder().counters()));
        }).register(registry);
    }

    private static long directMemoryUsed() {
        long blocks = RecyclingAllocator.INSTANCE.blockMemory(); // allocated outside Netty's counts
        long used = PlatformDependent.usedDirectMemory(); // -1 when Netty does not count it (cleaner-freed buffers)
        if (used >= 0) {
            return used + blocks;
        }
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        return blocks + (alloc instanceof ByteBufAllocatorMetricProvider
                ? ((ByteBufAllocatorMetricProvider) alloc).metric().usedDirectMemory() : 0);
    }
}
