/*
 * What an idle device and an idle stream cost the gateway: starts the gateway as its own process (the launcher,
 * target/mproxy, with its default JVM options unless MPROXY_JAVA_OPTS says otherwise), connects simulated devices
 * to it in steps, then opens idle public TCP connections (streams) in steps, and after each step reads the
 * gateway's resident set (VmRSS), its live heap after a full GC (jcmd GC.class_histogram), Netty's direct memory
 * (the admin listener's mproxy_direct_memory_used_bytes), its threads and its file descriptors. Prints a line per
 * step, the cost per device and per stream (the difference between the first and last step of each phase,
 * divided by the units added), and the classes that grew most per unit: what to shrink.
 *
 *   java -cp target/mproxy.jar bench/IdleCost.java [options]      (bench/run-idle.sh runs it; see --help)
 *
 * A simulated device is what a connector is on the wire, without local services: a TLS WebSocket (the gateway's
 * default) upgraded with its own token as Authorization: Basic (control 1.3), which reads the hello and the grant
 * (control 2.2, 2.4) and then holds each stream the gateway opens (a connection message, streams 3) without
 * answering: a stream whose local connection is still being opened, for as long as the bench runs. Netty's
 * WebSocket client answers the gateway's pings (control 1.4). Every device's token grants the same public port,
 * which the gateway deals out to them in turn (control 2.7), so the streams spread evenly over the devices.
 *
 * With --connector the devices are one real connector (the launcher's `connect`, its own process) with one tunnel,
 * which maps the public port to a local TCP server in this process that accepts and holds each connection: the
 * streams phase then measures the connector too (its local socket, relay and stream state per idle stream), and
 * the gateway's --max-streams and the connector's are raised to fit every stream on the one tunnel (streams 4.4).
 *
 * The gateway's per-source bounds (limits 2.1, 2.2) are kept: devices and public clients bind to many loopback
 * addresses (127.1.x.y for devices, 127.2.x.y for public clients, at most SOURCE_SHARE connections each). One
 * bound is raised, by option: --stream-idle-timeout (limits 2.3, 10 min) to 1 h, so a slow run does not measure
 * streams the gateway has closed. The file descriptor limit of the process (ulimit -n) bounds devices + streams
 * on both sides; the steps stop there and say so.
 */

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.MproxyMessageDecoder;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.websocket.WebSocketFrameCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class IdleCost {

    /** Connections per loopback source address: under both per-source bounds (limits 2.1: 512, 2.2: 256). */
    private static final int SOURCE_SHARE = 200;
    /** Connections being set up at once: the gateway's handshake deadline (limits 1.1, 10 s) must not pass. */
    private static final int IN_FLIGHT = 64;
    /** File descriptors each process keeps for itself beyond one per connection (jars, epoll, listeners). */
    private static final int FD_RESERVE = 300;
    private static final int TOP_CLASSES = 20;
    private static final Duration SETTLE = Duration.ofSeconds(2);
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(5);
    /** --max-streams of the gateway and the connector with --connector: every stream on its one tunnel. */
    private static final int CONNECTOR_MAX_STREAMS = 20_000;

    private final List<Integer> deviceSteps;
    private final List<Integer> streamSteps;
    private final Path launcher;
    private final Path work;
    private final boolean tls;
    private final List<String> gatewayOptions;
    private final boolean realConnector;

    private final AtomicInteger granted = new AtomicInteger();
    private final AtomicInteger streamsOpened = new AtomicInteger();
    private final AtomicInteger streamsEnded = new AtomicInteger();
    private final AtomicInteger failedDevices = new AtomicInteger();
    private final AtomicInteger failedStreams = new AtomicInteger();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();
    private final List<Channel> devices = new ArrayList<>();
    private final List<Channel> clients = new ArrayList<>();

    private Process gateway;
    private Process connector;
    private final AtomicInteger localAccepted = new AtomicInteger();
    private final List<Channel> localServer = new ArrayList<>();
    private long pid;
    private int devicePort;
    private int publicPort;
    private int adminPort;
    private String adminToken;
    private EventLoopGroup group;

    private IdleCost(List<Integer> deviceSteps, List<Integer> streamSteps, Path launcher, Path work, boolean tls,
            List<String> gatewayOptions, boolean realConnector) {
        this.realConnector = realConnector;
        this.deviceSteps = deviceSteps;
        this.streamSteps = streamSteps;
        this.launcher = launcher;
        this.work = work;
        this.tls = tls;
        this.gatewayOptions = gatewayOptions;
    }

    public static void main(String[] args) throws Exception {
        List<Integer> deviceSteps = List.of(0, 1000, 5000, 10_000);
        List<Integer> streamSteps = List.of(0, 10_000, 50_000, 100_000);
        Path launcher = Path.of("target/mproxy");
        Path work = null;
        boolean tls = true;
        List<String> gatewayOptions = new ArrayList<>();
        boolean realConnector = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--devices" -> deviceSteps = steps(args[++i]);
                case "--streams" -> streamSteps = steps(args[++i]);
                case "--quick" -> {
                    deviceSteps = List.of(0, 100, 500);
                    streamSteps = List.of(0, 1000, 5000);
                }
                case "--launcher" -> launcher = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--no-tls" -> tls = false;
                case "--connector" -> {
                    realConnector = true;
                    deviceSteps = List.of(0);
                    streamSteps = List.of(0, 1000, 4000, 9000);
                }
                case "--gateway-option" -> gatewayOptions.add(args[++i]);
                case "--help", "-h" -> {
                    usage();
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (expected: --help)");
            }
        }
        if (work == null) {
            work = Files.createTempDirectory("mproxy-idle");
        }
        if (realConnector) {
            gatewayOptions.add("--max-streams=" + CONNECTOR_MAX_STREAMS);
        }
        IdleCost bench = new IdleCost(deviceSteps, streamSteps, launcher, work, tls, gatewayOptions, realConnector);
        int status;
        try {
            status = bench.run();
        } finally {
            bench.stop();
        }
        System.exit(status);
    }

    private static void usage() {
        System.out.println("""
                usage: java -cp target/mproxy.jar bench/IdleCost.java [options]
                  --devices N,N,...    simulated devices after each step of the first phase (default 0,1000,5000,10000)
                  --streams N,N,...    idle streams after each step of the second phase, spread over the last step's
                                       devices (default 0,10000,50000,100000)
                  --quick              --devices 0,100,500 --streams 0,1000,5000
                  --no-tls             gateway --no-tls, devices on ws:// (default: TLS, as the gateway runs by default)
                  --connector          one real connector instead of simulated devices, its streams to a local server
                                       here; measures the connector too (streams 0,1000,4000,9000 unless --streams
                                       follows; two descriptors per stream here, one in the connector)
                  --launcher PATH      the gateway's launcher (default target/mproxy; MPROXY_JAVA_OPTS replaces its
                                       JVM options)
                  --gateway-option O   one more gateway option (repeatable), e.g. --gateway-option=--max-streams=4096
                  --work DIR           the gateway's data directory and log (default: a new temporary directory)
                Steps past what the file descriptor limit (ulimit -n) allows are cut, and the output says so.""");
    }

    private static List<Integer> steps(String list) {
        return List.of(list.split(",")).stream().map(String::trim).map(Integer::parseInt).toList();
    }

    private int run() throws Exception {
        long fdLimit = openFileLimit();
        long room = fdLimit - FD_RESERVE;
        startGateway();
        String opts = System.getenv("MPROXY_JAVA_OPTS");
        System.out.printf("# gateway pid %d: %s (MPROXY_JAVA_OPTS=%s), %s, transport %s; bench JVM %s, %d cores%n",
                pid, launcher, opts == null ? "unset: the launcher's defaults" : '"' + opts + '"',
                tls ? "TLS device port" : "--no-tls", Transport.name(), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        System.out.printf("# gateway JVM: %s%n", commandLine(pid));
        System.out.printf("# open file limit %d (ulimit -n, both processes): devices + streams <= %d%n", fdLimit, room);
        System.out.printf("# %-8s %8s %9s %10s %10s %10s %7s %7s%n", "step", "devices", "streams", "rss_kib",
                "heap_kib", "direct_kib", "threads", "fds");

        TokenSigner signer = new TokenSigner(GatewaySecret.load(work.resolve("data").resolve(GatewaySecret.FILE_NAME)),
                Clock.systemUTC());
        SslContext ssl = tls ? SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build()
                : null;
        group = Transport.newGroup(1);

        List<Sample> devicePhase = new ArrayList<>();
        List<Sample> streamPhase = new ArrayList<>();
        List<Sample> connectorPhase = new ArrayList<>();
        String limitedBy = null;
        if (realConnector) {
            room = room / 2; // a public client and its local connection per stream, both here
            startConnector();
            System.out.printf("# connector pid %d: %s%n", connector.pid(), commandLine(connector.pid()));
        }
        for (int target : deviceSteps) {
            if (target > room) {
                limitedBy = "devices " + target + " > " + room + " (the open file limit)";
                break;
            }
            String failure = connectDevices(target, signer, ssl);
            Sample sample = measure("devices", pid, devices.size(), 0);
            devicePhase.add(sample);
            if (failure != null) {
                limitedBy = failure;
                break;
            }
        }
        if (limitedBy == null) {
            for (int target : streamSteps) {
                if (devices.isEmpty() && !realConnector) {
                    limitedBy = "no devices to carry streams";
                    break;
                }
                if (devices.size() + target > room) {
                    int fits = (int) (room - devices.size() - 1);
                    limitedBy = "streams " + target + " + devices " + devices.size() + " > " + room
                            + " (the open file limit: one descriptor per device and per stream in each process)";
                    if (fits > clients.size() && (streamPhase.isEmpty()
                            || fits > streamPhase.get(streamPhase.size() - 1).streams())) {
                        target = fits;
                    } else {
                        break;
                    }
                }
                String failure = openStreams(target);
                streamPhase.add(measure("streams", pid, devices.size(), streamsOpen()));
                if (realConnector) {
                    connectorPhase.add(measure("conn.", connector.pid(), devices.size(), streamsOpen()));
                }
                if (failure != null || limitedBy != null) {
                    limitedBy = limitedBy != null ? limitedBy : failure;
                    break;
                }
            }
        }

        System.out.println();
        perUnit("device", devicePhase, Sample::devices);
        perUnit("stream", streamPhase, Sample::streams);
        if (realConnector) {
            perUnit("stream on the connector", connectorPhase, Sample::streams);
        }
        System.out.printf("# failed devices %d, failed streams %d%s%n", failedDevices.get(), failedStreams.get(),
                firstFailure.get() == null ? "" : "; first failure: " + firstFailure.get());
        System.out.println(limitedBy == null ? "# every step done"
                : "# stopped: " + limitedBy);
        if (!gateway.isAlive()) {
            System.out.println("# the gateway exited with status " + gateway.exitValue() + "; its log ends:");
            tail(work.resolve("gateway.log"), 15).forEach(line -> System.out.println("#   " + line));
            return 1;
        }
        return 0;
    }

    // ------------------------------------------------------------------------------------------------------------
    // The gateway

    private void startGateway() throws Exception {
        devicePort = freePort();
        publicPort = freePort();
        adminPort = freePort();
        List<String> command = new ArrayList<>(List.of(launcher.toString(), "gateway",
                "--data-dir=" + work.resolve("data"), "--listen=127.0.0.1:" + devicePort, "--bind=127.0.0.1",
                "--hostname=localhost", "--http-port=0", "--tls-port=0", "--admin=127.0.0.1:" + adminPort,
                "--log-level=warn", "--stream-idle-timeout=1h"));
        if (!tls) {
            command.add("--no-tls");
        }
        command.addAll(gatewayOptions);
        System.out.println("# gateway: " + String.join(" ", command));
        gateway = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("gateway.log").toFile()).start();
        pid = gateway.pid(); // the launcher execs java: the same process
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!accepts(devicePort) || !accepts(adminPort)) {
            if (!gateway.isAlive() || System.nanoTime() > deadline) {
                tail(work.resolve("gateway.log"), 30).forEach(System.out::println);
                throw new IllegalStateException("the gateway did not start listening on " + devicePort);
            }
            Thread.sleep(100);
        }
        adminToken = Files.readString(work.resolve("data").resolve("admin.token")).strip();
    }

    /**
     * A real connector with one tunnel, its token granting the public port, mapped to a server here that accepts and
     * holds every connection; returns once its tunnel is granted.
     */
    private void startConnector() throws Exception {
        ServerBootstrap local = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        localAccepted.incrementAndGet();
                        synchronized (localServer) {
                            localServer.add(ch);
                        }
                    }
                });
        Channel listening = local.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        localServer.add(listening);
        int localPort = ((InetSocketAddress) listening.localAddress()).getPort();
        String fingerprint = Files.readAllLines(work.resolve("gateway.log")).stream()
                .filter(l -> l.startsWith("certificate SHA-256 fingerprint: "))
                .map(l -> l.substring("certificate SHA-256 fingerprint: ".length()).split(" ")[0])
                .findFirst().orElseThrow(() -> new IllegalStateException("no fingerprint in the gateway's log"));
        String token = new TokenSigner(GatewaySecret.load(work.resolve("data").resolve(GatewaySecret.FILE_NAME)),
                Clock.systemUTC()).sign(new DeviceToken("idle-connector", List.of(publicPort), List.of(), null));
        Path tokenFile = work.resolve("connector.token"); // not on the command line, which the output shows
        Files.writeString(tokenFile, token);
        List<String> command = new ArrayList<>(List.of(launcher.toString(), "connect",
                "--gateway=" + (tls ? "wss" : "ws") + "://localhost:" + devicePort, "--token-file=" + tokenFile,
                "--tcp=" + publicPort + "=127.0.0.1:" + localPort, "--max-streams=" + CONNECTOR_MAX_STREAMS,
                "--log-level=warn"));
        if (tls) {
            command.add("--fingerprint=" + fingerprint);
        }
        Path log = work.resolve("connector.log");
        connector = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!accepts(publicPort)) { // the port listens once the connector's tunnel is granted it (control 2.7)
            if (!connector.isAlive() || System.nanoTime() > deadline) {
                tail(log, 30).forEach(System.out::println);
                throw new IllegalStateException("the connector's public port " + publicPort + " did not open");
            }
            Thread.sleep(100);
        }
        // that probe was a stream too: wait for its local connection, and count from there
        awaitCount(localAccepted::get, 1);
        Thread.sleep(500);
        localAccepted.set(0);
    }

    private void stop() {
        for (Channel c : clients) {
            c.close();
        }
        for (Channel c : devices) {
            c.close();
        }
        for (Channel c : localServer) {
            c.close();
        }
        if (connector != null && connector.isAlive()) {
            connector.destroy();
            try {
                connector.waitFor(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                connector.destroyForcibly();
            }
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (gateway != null && gateway.isAlive()) {
            gateway.destroy();
            try {
                if (!gateway.waitFor(15, TimeUnit.SECONDS)) {
                    gateway.destroyForcibly();
                }
            } catch (InterruptedException e) {
                gateway.destroyForcibly();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Devices

    /** Connects devices until there are {@code target}; null when all got their grant, else why not. */
    private String connectDevices(int target, TokenSigner signer, SslContext ssl) throws Exception {
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        int from = devices.size();
        for (int i = from; i < target && gateway.isAlive(); i++) {
            inFlight.acquire();
            String token = signer.sign(new DeviceToken("idle-" + i, List.of(publicPort), List.of(), null));
            Device device = new Device(inFlight);
            String basic = "Basic " + Base64.getEncoder()
                    .encodeToString(("device:" + token).getBytes(StandardCharsets.UTF_8));
            WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                    .webSocketUri(URI.create((tls ? "wss" : "ws") + "://localhost:" + devicePort + "/"))
                    .customHeaders(new DefaultHttpHeaders().set(HttpHeaderNames.AUTHORIZATION, basic))
                    .maxFramePayloadLength(2 << 20)
                    .build();
            ChannelFuture connect = new Bootstrap().group(group).channel(Transport.socketChannel())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (ssl != null) {
                                ch.pipeline().addLast(ssl.newHandler(ch.alloc(), "localhost", devicePort));
                            }
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                                    new WebSocketClientProtocolHandler(ws));
                            ch.pipeline().addLast(WebSocketFrameCodec.client(ch.pipeline()),
                                    new MproxyMessageDecoder(), device);
                        }
                    })
                    .connect(new InetSocketAddress("127.0.0.1", devicePort), source(1, i));
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    device.fail("connect: " + f.cause());
                }
            });
            synchronized (devices) {
                devices.add(connect.channel());
            }
        }
        if (!awaitCount(() -> granted.get() + failedDevices.get(), target)) {
            return "devices: " + granted.get() + " of " + target + " granted within " + STEP_TIMEOUT;
        }
        return failedDevices.get() > 0 ? failedDevices.get() + " devices failed" : null;
    }

    /** One simulated device: counts its grant and the streams the gateway opens on it, holds them open. */
    private final class Device extends ChannelInboundHandlerAdapter {
        private final Semaphore inFlight;
        private boolean settled;

        Device(Semaphore inFlight) {
            this.inFlight = inFlight;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!(msg instanceof MproxyMessage)) {
                    return;
                }
                MproxyMessage m = (MproxyMessage) msg;
                if (m.type() == MessageType.CONTROL) {
                    var json = ControlMessages.parse(m);
                    if (json != null && json.size() > 2 && "grant".equals(json.get(1).asText()) && !settled) {
                        settled = true;
                        granted.incrementAndGet();
                        inFlight.release();
                    }
                } else if (m.type() == MessageType.CONNECTION) {
                    streamsOpened.incrementAndGet();
                } else if (m.type() == MessageType.END || m.type() == MessageType.ERROR) {
                    streamsEnded.incrementAndGet();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail("closed by the gateway");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause.toString());
            ctx.close();
        }

        void fail(String why) {
            if (!settled) {
                settled = true;
                failedDevices.incrementAndGet();
                firstFailure.compareAndSet(null, "device: " + why);
                inFlight.release();
            } else if (!why.equals("closed by the gateway") || gateway.isAlive()) {
                firstFailure.compareAndSet(null, "device after its grant: " + why);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Streams

    /** Opens public connections until {@code target} streams are open; null when they are, else why not. */
    private String openStreams(int target) throws Exception {
        Semaphore inFlight = new Semaphore(IN_FLIGHT * 4);
        int opened = streamsOpen();
        int base = clients.size();
        for (int k = base; k < base + (target - opened) && gateway.isAlive(); k++) {
            inFlight.acquire();
            ChannelFuture connect = new Bootstrap().group(group).channel(Transport.socketChannel())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            failedStreams.incrementAndGet();
                            firstFailure.compareAndSet(null, "public connection closed by the gateway");
                        }
                    })
                    .connect(new InetSocketAddress("127.0.0.1", publicPort), source(2, k));
            connect.addListener(f -> {
                inFlight.release();
                if (!f.isSuccess()) {
                    failedStreams.incrementAndGet();
                    firstFailure.compareAndSet(null, "public connect: " + f.cause());
                }
            });
            clients.add(connect.channel());
        }
        if (!awaitCount(() -> streamsOpen() + failedStreams.get(), target)) {
            return "streams: " + streamsOpen() + " of " + target + " open within "
                    + STEP_TIMEOUT;
        }
        return failedStreams.get() > 0 ? failedStreams.get() + " public connections failed" : null;
    }

    /** Streams open now: held by the simulated devices, or accepted by the local server behind the connector. */
    private int streamsOpen() {
        return realConnector ? localAccepted.get() : streamsOpened.get() - streamsEnded.get();
    }

    /** Loopback source address {@code 127.NET.x.y} for connection {@code index}, SOURCE_SHARE per address. */
    private static InetSocketAddress source(int net, int index) {
        int s = index / SOURCE_SHARE;
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, (byte) net, (byte) (s / 250),
                    (byte) (s % 250 + 1)}), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean awaitCount(java.util.function.IntSupplier count, int target) throws InterruptedException {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (count.getAsInt() < target) {
            if (!gateway.isAlive() || System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Measuring

    private record Sample(String phase, int devices, int streams, long rssKib, long heapBytes, long directBytes,
            int threads, int fds, Map<String, Long> classes) {
    }

    /** Process {@code of}'s memory now: the gateway's (with Netty's direct memory), or the connector's. */
    private Sample measure(String phase, long of, int devices, int streams) throws Exception {
        Thread.sleep(SETTLE.toMillis());
        if (!ProcessHandle.of(of).map(ProcessHandle::isAlive).orElse(false)) {
            Sample s = new Sample(phase, devices, streams, -1, -1, -1, -1, -1, Map.of());
            System.out.printf("  %-8s %8d %9d  (process %d has exited)%n", phase, devices, streams, of);
            return s;
        }
        Map<String, Long> classes = new HashMap<>();
        long heap = histogram(of, classes);
        Map<String, Long> status = procStatus(of);
        Sample s = new Sample(phase, devices, streams, status.getOrDefault("VmRSS", -1L), heap,
                of == pid ? directMemory() : -1,
                status.getOrDefault("Threads", -1L).intValue(), fds(of), classes);
        System.out.printf("  %-8s %8d %9d %10d %10d %10d %7d %7d%n", phase, devices, streams, s.rssKib(),
                heap / 1024, s.directBytes() / 1024, s.threads(), s.fds());
        return s;
    }

    private void perUnit(String unit, List<Sample> phase, java.util.function.ToIntFunction<Sample> units) {
        if (phase.size() < 2) {
            return;
        }
        Sample first = phase.get(0);
        Sample last = phase.get(phase.size() - 1);
        int added = units.applyAsInt(last) - units.applyAsInt(first);
        if (added <= 0 || last.heapBytes() < 0) {
            return;
        }
        System.out.printf("per %s (%d added): heap %.0f B, RSS %.0f B, direct %.0f B, fds %.2f, threads %.4f%n",
                unit, added, (double) (last.heapBytes() - first.heapBytes()) / added,
                (double) (last.rssKib() - first.rssKib()) * 1024 / added,
                (double) (last.directBytes() - first.directBytes()) / added,
                (double) (last.fds() - first.fds()) / added, (double) (last.threads() - first.threads()) / added);
        Map<String, Long> growth = new HashMap<>();
        last.classes().forEach((name, bytes) -> growth.put(name, bytes - first.classes().getOrDefault(name, 0L)));
        System.out.printf("  top classes per %s (bytes, live heap after a full GC):%n", unit);
        growth.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(TOP_CLASSES)
                .forEach(e -> System.out.printf("  %8.1f  %s%n", (double) e.getValue() / added, e.getKey()));
    }

    private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("^Total\\s+(\\d+)\\s+(\\d+)");

    /** Live heap bytes after the full GC that jcmd's class histogram starts with; fills bytes per class. */
    private static long histogram(long of, Map<String, Long> classes) throws Exception {
        long total = -1;
        for (String line : jcmd(of, "GC.class_histogram")) {
            Matcher row = HISTOGRAM_ROW.matcher(line);
            if (row.find()) {
                classes.merge(row.group(3), Long.parseLong(row.group(2)), Long::sum);
                continue;
            }
            Matcher t = HISTOGRAM_TOTAL.matcher(line);
            if (t.find()) {
                total = Long.parseLong(t.group(2));
            }
        }
        return total;
    }

    private static List<String> jcmd(long of, String command) throws Exception {
        Process p = new ProcessBuilder("jcmd", Long.toString(of), command).redirectErrorStream(true).start();
        List<String> lines;
        try (InputStream in = p.getInputStream()) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        p.waitFor(60, TimeUnit.SECONDS);
        return lines;
    }

    private long directMemory() {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                    .header("Authorization", "Bearer " + adminToken).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.body().lines().filter(l -> l.startsWith("mproxy_direct_memory_used_bytes "))
                    .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim()))
                    .findFirst().orElse(-1);
        } catch (Exception e) {
            return -1;
        }
    }

    private static Map<String, Long> procStatus(long pid) throws IOException {
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            String[] kv = line.split(":\\s+", 2);
            if (kv.length == 2 && (kv[0].equals("VmRSS") || kv[0].equals("Threads"))) {
                values.put(kv[0], Long.parseLong(kv[1].split("\\s+")[0]));
            }
        }
        return values;
    }

    private static int fds(long pid) throws IOException {
        try (var list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) list.count();
        }
    }

    private static String commandLine(long pid) throws IOException {
        byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
        return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
    }

    private static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
            }
        }
        return 1024;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static List<String> tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(no log: " + e + ")");
        }
    }
}
