/*
 * Decode-throughput benchmark for MproxyMessageDecoder, with same-run baselines.
 *
 *   java -Dio.netty.leakDetection.level=disabled -cp target/mproxy.jar bench/DecodeThroughput.java [options]
 *
 * Single-file program for the Java 11+ source launcher: no compile step, no dependency beyond the fat jar.
 * See bench/README.md for what is measured and how to read the output; bench/run-decode.sh runs it.
 */

import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.MproxyMessageDecoder;
import dev.mproxy.protocol.MproxyMessageEncoder;
import dev.mproxy.protocol.StreamAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.Version;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

public final class DecodeThroughput {

    // ------------------------------------------------------------------------------------------------ options

    static int[] sizes = {64, 1024, 16384};
    static int iterations = 5;
    static double iterationSeconds = 1.0;
    static double warmupSeconds = 2.0;
    static int bufferMiB = 64;
    static int chunkSize = 64 * 1024;
    static List<String> chunkings = List.of("unaligned", "aligned");
    static List<String> cases = List.of("mproxy", "lengthfield", "raw-slice", "memcpy");
    static boolean quick;
    static boolean fastThread = true;
    static boolean globalWarmup = true;
    static String cumulator = "merge";

    static void usage() {
        System.out.println(String.join("\n",
                "usage: java -Dio.netty.leakDetection.level=disabled -cp target/mproxy.jar bench/DecodeThroughput.java [options]",
                "  --sizes 64,1024,16384     body sizes in bytes",
                "  --iterations N            measured iterations per case (default 5)",
                "  --iteration-time S        seconds per measured iteration (default 1.0)",
                "  --warmup S                warm-up seconds per case, before each size/chunking (default 2.0)",
                "  --buffer-mib N            size of each pre-encoded stream (default 64)",
                "  --chunk N                 bytes per simulated socket read (default 65536)",
                "  --chunking LIST           unaligned (fixed 64 KiB reads, the natural case) and/or aligned",
                "                            (reads cut at message boundaries, <= chunk); default both",
                "  --cases LIST              mproxy,lengthfield,raw-slice,memcpy (default all; mproxy and",
                "                            lengthfield are needed for the ratio)",
                "  --quick                   smoke run for CI (< 20 s): 16 MiB streams, unaligned only, mproxy and",
                "                            lengthfield only, 1 s warm-up, 3 x 0.3 s; figures are indicative only",
                "                            (options after --quick override it)",
                "  --cumulator merge|composite  ByteToMessageDecoder cumulator set on both decoders (default merge,",
                "                            Netty's and the project's default; composite is an experiment)",
                "  --plain-thread            run on a plain Thread instead of a FastThreadLocalThread (Netty event",
                "                            loops are FastThreadLocalThreads; on a plain thread every",
                "                            ByteBuf.toString allocates a temporary byte[])",
                "  --no-global-warmup        skip the initial warm-up of every case on every size/chunking; then a",
                "                            case's figure depends on what the JIT saw before it (see README)",
                "Exit status 1 if any decoder produced the wrong message count or body bytes."));
    }

    static void parseArgs(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--quick":
                    quick = true;
                    bufferMiB = 16;
                    warmupSeconds = 1.0;
                    iterations = 3;
                    iterationSeconds = 0.3;
                    chunkings = List.of("unaligned");
                    cases = List.of("mproxy", "lengthfield");
                    continue;
                case "--plain-thread":
                    fastThread = false;
                    continue;
                case "--no-global-warmup":
                    globalWarmup = false;
                    continue;
                case "-h":
                case "--help":
                    usage();
                    System.exit(0);
                    break;
                default:
                    break;
            }
            if (v == null) {
                throw new IllegalArgumentException("missing value for " + a);
            }
            i++;
            switch (a) {
                case "--sizes":
                    sizes = Arrays.stream(v.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
                    break;
                case "--iterations":
                    iterations = Integer.parseInt(v);
                    break;
                case "--iteration-time":
                    iterationSeconds = Double.parseDouble(v);
                    break;
                case "--warmup":
                    warmupSeconds = Double.parseDouble(v);
                    break;
                case "--buffer-mib":
                    bufferMiB = Integer.parseInt(v);
                    break;
                case "--chunk":
                    chunkSize = Integer.parseInt(v);
                    break;
                case "--chunking":
                    chunkings = List.of(v.split(","));
                    for (String c : chunkings) {
                        if (!c.equals("aligned") && !c.equals("unaligned")) {
                            throw new IllegalArgumentException("--chunking: " + c);
                        }
                    }
                    break;
                case "--cumulator":
                    if (!v.equals("merge") && !v.equals("composite")) {
                        throw new IllegalArgumentException("--cumulator: " + v);
                    }
                    cumulator = v;
                    break;
                case "--cases":
                    cases = List.of(v.split(","));
                    for (String c : cases) {
                        if (!List.of("mproxy", "lengthfield", "raw-slice", "memcpy").contains(c)) {
                            throw new IllegalArgumentException("--cases: " + c);
                        }
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (iterations < 1 || bufferMiB < 1 || chunkSize < 1) {
            throw new IllegalArgumentException("iterations, buffer-mib and chunk must be positive");
        }
    }

    // ------------------------------------------------------------------------------------------------ streams

    /** One pre-encoded stream: the bytes, the read boundaries, and what a decoder must produce per pass. */
    static final class Stream {
        final ByteBuf bytes;        // one large direct buffer, never modified after building
        final int messages;
        final long bodyBytes;       // per pass
        final int[] msgEnd;         // wire end offset of each message
        final int[] bodyStart;      // wire offset of each body
        int[] chunkStart;           // read boundaries; chunk i is [chunkStart[i], chunkStart[i+1])

        Stream(ByteBuf bytes, int messages, long bodyBytes, int[] msgEnd, int[] bodyStart) {
            this.bytes = bytes;
            this.messages = messages;
            this.bodyBytes = bodyBytes;
            this.msgEnd = msgEnd;
            this.bodyStart = bodyStart;
        }

        long wireBytes() {
            return bytes.readableBytes();
        }

        void chunk(String chunking) {
            IntList starts = new IntList();
            int len = bytes.readableBytes();
            if (chunking.equals("unaligned")) {
                for (int s = 0; s < len; s += chunkSize) {
                    starts.add(s);
                }
            } else {
                // Greedy: as many whole messages as fit in one read; a message larger than a read is one read.
                int s = 0;
                int m = 0;
                while (m < messages) {
                    starts.add(s);
                    int end = msgEnd[m++];
                    while (m < messages && msgEnd[m] - s <= chunkSize) {
                        end = msgEnd[m++];
                    }
                    s = end;
                }
            }
            starts.add(len);
            chunkStart = starts.toArray();
        }

        int chunks() {
            return chunkStart.length - 1;
        }
    }

    static final class IntList {
        int[] a = new int[1024];
        int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** Streams a gateway would open: public clients on IPv4 and IPv6, all for https on 443, a few names. */
    static StreamAddress[] clients() {
        SplittableRandom r = new SplittableRandom(42);
        StreamAddress[] out = new StreamAddress[64];
        for (int i = 0; i < out.length; i++) {
            String port = Integer.toString(49152 + r.nextInt(16383));
            if (i % 3 == 2) {
                out[i] = new StreamAddress("IPv6", String.format("2001:db8:%x:%x::%x", r.nextInt(65536),
                        r.nextInt(65536), r.nextInt(65536)), port);
            } else {
                out[i] = new StreamAddress("IPv4", "203.0.113." + (1 + r.nextInt(254)), port);
            }
        }
        return out;
    }

    static final String[] NAMES = {"example.com", "www.example.com", "api.example.org", "home.example.net",
        "git.example.com", "cloud.example.org", "media.example.net", "ssh.example.com"};

    static Stream buildMproxy(int bodySize, byte[] bodyBytes, int mib) {
        int target = mib * 1024 * 1024;
        ByteBuf big = Unpooled.directBuffer(target);
        StreamAddress[] clients = clients();
        ByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
        IntList ends = new IntList();
        IntList bodies = new IntList();
        int m = 0;
        while (true) {
            StreamAddress a = clients[m % clients.length];
            MproxyMessage msg = MproxyMessage.data(a, "https", "443", NAMES[m % NAMES.length],
                    Unpooled.wrappedBuffer(bodyBytes, (m * 7) % 64, bodySize));
            ByteBuf wire = MproxyMessageEncoder.INSTANCE.encode(alloc, msg);
            try {
                if (big.writableBytes() < wire.readableBytes()) {
                    break;
                }
                bodies.add(big.writerIndex() + wire.readableBytes() - bodySize);
                big.writeBytes(wire);
                ends.add(big.writerIndex());
                m++;
            } finally {
                wire.release();
                msg.release();
            }
        }
        return new Stream(big, m, (long) m * bodySize, ends.toArray(), bodies.toArray());
    }

    /** The same number of equally sized bodies, each behind a 4-byte big-endian length. */
    static Stream buildLengthField(int bodySize, byte[] bodyBytes, int messages) {
        ByteBuf big = Unpooled.directBuffer(messages * (4 + bodySize));
        int[] ends = new int[messages];
        int[] bodies = new int[messages];
        for (int m = 0; m < messages; m++) {
            big.writeInt(bodySize);
            bodies[m] = big.writerIndex();
            big.writeBytes(bodyBytes, (m * 7) % 64, bodySize);
            ends[m] = big.writerIndex();
        }
        return new Stream(big, messages, (long) messages * bodySize, ends, bodies);
    }

    // ------------------------------------------------------------------------------------------------ cases

    /** Counts messages and body bytes and releases each message: the cheapest possible consumer. */
    static final class Sink extends ChannelInboundHandlerAdapter {
        long messages;
        long bodyBytes;
        long check; // folds a header field in, so the decoded strings are used

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof MproxyMessage) {
                MproxyMessage m = (MproxyMessage) msg;
                bodyBytes += m.content().readableBytes();
                check += m.name().length();
                m.release();
            } else {
                ByteBuf b = (ByteBuf) msg;
                bodyBytes += b.readableBytes();
                b.release();
            }
            messages++;
        }
    }

    static long blackhole;

    interface Pass {
        /** Runs one pass over the whole stream; returns false if the output was wrong. */
        boolean run();
    }

    /** Feeds the stream, one retained slice per read, into EmbeddedChannel(decoder, sink). */
    static boolean decodePass(Stream s, boolean mproxy) {
        Sink sink = new Sink();
        ByteToMessageDecoder decoder =
                mproxy ? new MproxyMessageDecoder() : new LengthFieldBasedFrameDecoder(1 << 20, 0, 4, 0, 4);
        if (cumulator.equals("composite")) {
            decoder.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
        }
        EmbeddedChannel ch = new EmbeddedChannel(decoder, sink);
        int[] cs = s.chunkStart;
        ByteBuf big = s.bytes;
        for (int i = 0; i < cs.length - 1; i++) {
            ch.writeInbound(big.retainedSlice(cs[i], cs[i + 1] - cs[i]));
        }
        ch.finishAndReleaseAll();
        blackhole += sink.check;
        return sink.messages == s.messages && sink.bodyBytes == s.bodyBytes;
    }

    /**
     * No decoder, no channel, no parsing: a retained slice per read and a retained slice per body at offsets
     * known in advance, each released. The harness's own ceiling; no body byte is read.
     */
    static boolean rawSlicePass(Stream s) {
        int[] cs = s.chunkStart;
        int[] ends = s.msgEnd;
        int[] bodies = s.bodyStart;
        ByteBuf big = s.bytes;
        long msgs = 0;
        long bytes = 0;
        int m = 0;
        for (int i = 0; i < cs.length - 1; i++) {
            ByteBuf read = big.retainedSlice(cs[i], cs[i + 1] - cs[i]);
            int readEnd = cs[i + 1];
            while (m < ends.length && ends[m] <= readEnd) {
                ByteBuf body = big.retainedSlice(bodies[m], ends[m] - bodies[m]);
                bytes += body.readableBytes();
                body.release();
                msgs++;
                m++;
            }
            read.release();
        }
        return msgs == s.messages && bytes == s.bodyBytes;
    }

    static ByteBuf scratch;

    /** One copy of every read into a direct buffer: what a cumulating decoder pays at most per byte. */
    static boolean memcpyPass(Stream s) {
        int[] cs = s.chunkStart;
        ByteBuf big = s.bytes;
        long copied = 0;
        for (int i = 0; i < cs.length - 1; i++) {
            int len = cs[i + 1] - cs[i];
            scratch.clear();
            scratch.writeBytes(big, cs[i], len);
            copied += scratch.getByte(len - 1);
        }
        blackhole += copied;
        return true;
    }

    // ------------------------------------------------------------------------------------------------ timing

    static final class Case {
        final String name;
        final Stream stream;
        final Pass pass;
        final List<double[]> results = new ArrayList<>(); // {msgs/s, body B/s, wire B/s}
        boolean wrong;

        Case(String name, Stream stream, Pass pass) {
            this.name = name;
            this.stream = stream;
            this.pass = pass;
        }

        /** Whole passes until at least {@code seconds} have gone by; returns {msgs/s, body B/s, wire B/s}. */
        double[] runFor(double seconds) {
            long budget = (long) (seconds * 1e9);
            long start = System.nanoTime();
            long passes = 0;
            long elapsed;
            do {
                if (!pass.run()) {
                    wrong = true;
                }
                passes++;
                elapsed = System.nanoTime() - start;
            } while (elapsed < budget);
            double sec = elapsed / 1e9;
            return new double[] {passes * stream.messages / sec, passes * stream.bodyBytes / sec,
                passes * stream.wireBytes() / sec};
        }
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        int n = c.length;
        return n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    }

    static double[] column(List<double[]> rows, int col) {
        return rows.stream().mapToDouble(r -> r[col]).toArray();
    }

    static String range(double[] v, double scale, String fmt) {
        double[] c = v.clone();
        Arrays.sort(c);
        return String.format(Locale.ROOT, fmt + " [" + fmt + " - " + fmt + "]", median(v) / scale,
                c[0] / scale, c[c.length - 1] / scale);
    }

    // ------------------------------------------------------------------------------------------------ main

    public static void main(String[] args) throws Exception {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // Must happen before ResourceLeakDetector is initialised; run-decode.sh passes the flag anyway.
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        try {
            parseArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + " (--help for usage)");
            System.exit(2);
        }
        // Decoders run on event-loop threads, which are FastThreadLocalThreads; Netty's thread-local scratch
        // arrays (ByteBufUtil.threadLocalTempArray, used by ByteBuf.toString) exist only on those.
        int[] status = {0};
        Runnable body = () -> {
            try {
                status[0] = run();
            } catch (Throwable t) {
                t.printStackTrace();
                status[0] = 2;
            }
        };
        Thread t = fastThread ? new FastThreadLocalThread(body, "bench") : new Thread(body, "bench");
        t.start();
        t.join();
        System.exit(status[0]);
    }

    static int run() throws Exception {
        long t0 = System.nanoTime();
        printEnvironment();

        scratch = Unpooled.directBuffer(chunkSize);
        byte[] bodyBytes = new byte[16384 + 64];
        for (int s : sizes) {
            if (bodyBytes.length < s + 64) {
                bodyBytes = new byte[s + 64];
            }
        }
        new SplittableRandom(7).nextBytes(bodyBytes);

        boolean allOk = true;
        if (globalWarmup) {
            // Every case on every size and chunking before anything is measured, on small streams: the JIT then
            // compiles with the whole type profile (sliced and pooled input buffers, both decoders), as in a
            // gateway, and a case's figure does not depend on which cases ran before it.
            long g0 = System.nanoTime();
            double each = quick ? 0.1 : 0.3;
            for (int size : sizes) {
                Stream mp = buildMproxy(size, bodyBytes, 4);
                Stream lf = buildLengthField(size, bodyBytes, mp.messages);
                for (String chunking : chunkings) {
                    mp.chunk(chunking);
                    lf.chunk(chunking);
                    for (Case c : makeCases(mp, lf)) {
                        c.runFor(each);
                        allOk &= !c.wrong;
                    }
                }
                mp.bytes.release();
                lf.bytes.release();
            }
            System.out.printf(Locale.ROOT, "%nglobal warm-up (4 MiB streams, every case/size/chunking): %.1f s%n",
                    (System.nanoTime() - g0) / 1e9);
        }
        List<String> summary = new ArrayList<>();
        for (int size : sizes) {
            Stream mp = buildMproxy(size, bodyBytes, bufferMiB);
            Stream lf = buildLengthField(size, bodyBytes, mp.messages);
            System.out.printf(Locale.ROOT, "%n=== body %d B: %d messages per pass; mproxy wire %.1f B/msg "
                    + "(header %.1f B), lengthfield wire %d B/msg ===%n", size, mp.messages,
                    (double) mp.wireBytes() / mp.messages, (double) mp.wireBytes() / mp.messages - size,
                    4 + size);
            for (String chunking : chunkings) {
                mp.chunk(chunking);
                lf.chunk(chunking);
                List<Case> run = makeCases(mp, lf);
                System.out.printf(Locale.ROOT, "-- chunking %s: mproxy %d reads/pass (avg %.0f B), "
                        + "lengthfield %d reads/pass --%n", chunking, mp.chunks(),
                        (double) mp.wireBytes() / mp.chunks(), lf.chunks());

                // Warm-up, round-robin in slices so every case is compiled before any is measured.
                int slices = Math.max(1, (int) Math.round(warmupSeconds / 0.5));
                for (int w = 0; w < slices; w++) {
                    for (Case c : run) {
                        c.runFor(warmupSeconds / slices);
                    }
                }
                // Measurement, interleaved: round k runs every case once, so drift hits all cases alike and
                // mproxy/lengthfield can be paired per round.
                List<Double> ratios = new ArrayList<>();
                for (int k = 0; k < iterations; k++) {
                    double mpBody = Double.NaN;
                    double lfBody = Double.NaN;
                    for (Case c : run) {
                        double[] r = c.runFor(iterationSeconds);
                        c.results.add(r);
                        if (c.name.equals("mproxy")) {
                            mpBody = r[1];
                        } else if (c.name.equals("lengthfield")) {
                            lfBody = r[1];
                        }
                    }
                    if (!Double.isNaN(mpBody) && !Double.isNaN(lfBody)) {
                        ratios.add(mpBody / lfBody);
                    }
                }
                System.out.printf("%-12s %-34s %-28s %-28s%n", "case", "msgs/s (M) median [min - max]",
                        "body GB/s median [min-max]", "wire GB/s median [min-max]");
                for (Case c : run) {
                    if (c.wrong) {
                        allOk = false;
                    }
                    System.out.printf("%-12s %-34s %-28s %-28s%s%n", c.name,
                            range(column(c.results, 0), 1e6, "%.2f"),
                            range(column(c.results, 1), 1e9, "%.2f"),
                            range(column(c.results, 2), 1e9, "%.2f"),
                            c.wrong ? "  WRONG OUTPUT" : "");
                }
                if (!ratios.isEmpty()) {
                    double[] rv = ratios.stream().mapToDouble(Double::doubleValue).toArray();
                    System.out.printf("ratio mproxy/lengthfield (body GB/s, paired per round): %s%n",
                            range(rv, 1, "%.3f"));
                }
                Case mpc = run.stream().filter(c -> c.name.equals("mproxy")).findFirst().orElse(null);
                Case lfc = run.stream().filter(c -> c.name.equals("lengthfield")).findFirst().orElse(null);
                summary.add(String.format(Locale.ROOT, "%6d  %-9s  %9s  %9s  %9s  %9s",
                        size, chunking,
                        mpc == null ? "-" : String.format(Locale.ROOT, "%.2f", median(column(mpc.results, 0)) / 1e6),
                        mpc == null ? "-" : String.format(Locale.ROOT, "%.2f", median(column(mpc.results, 1)) / 1e9),
                        lfc == null ? "-" : String.format(Locale.ROOT, "%.2f", median(column(lfc.results, 1)) / 1e9),
                        ratios.isEmpty() ? "-" : String.format(Locale.ROOT, "%.3f",
                                median(ratios.stream().mapToDouble(Double::doubleValue).toArray()))));
            }
            mp.bytes.release();
            lf.bytes.release();
        }

        System.out.printf("%n=== summary (medians; GB = 1e9 bytes) ===%n");
        System.out.printf("%6s  %-9s  %9s  %9s  %9s  %9s%n", "body", "chunking", "mp Mmsg/s", "mp GB/s",
                "lf GB/s", "mp/lf");
        summary.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "%ntotal time %.1f s%s%n", (System.nanoTime() - t0) / 1e9,
                blackhole == 42 ? "." : "");
        if (!allOk) {
            System.out.println("FAILED: a decoder produced the wrong message count or body bytes");
            return 1;
        }
        return 0;
    }

    static List<Case> makeCases(Stream mp, Stream lf) {
        List<Case> run = new ArrayList<>();
        for (String c : cases) {
            switch (c) {
                case "mproxy":
                    run.add(new Case(c, mp, () -> decodePass(mp, true)));
                    break;
                case "lengthfield":
                    run.add(new Case(c, lf, () -> decodePass(lf, false)));
                    break;
                case "raw-slice":
                    run.add(new Case(c, mp, () -> rawSlicePass(mp)));
                    break;
                case "memcpy":
                    run.add(new Case(c, mp, () -> memcpyPass(mp)));
                    break;
                default:
                    throw new AssertionError(c);
            }
        }
        return run;
    }

    static void printEnvironment() {
        String cpu = "unknown";
        String mhz = "?";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name") && cpu.equals("unknown")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                } else if (line.startsWith("cpu MHz") && mhz.equals("?")) {
                    mhz = line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        System.out.println("# mproxy decode throughput" + (quick ? " (--quick: smoke run, indicative only)" : ""));
        System.out.println("# JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + ")");
        System.out.println("# JVM args: " + ManagementFactory.getRuntimeMXBean().getInputArguments());
        System.out.println("# GC: " + ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(b -> b.getName()).reduce((a, b) -> a + ", " + b).orElse("?"));
        System.out.println("# CPU: " + cpu + " @ " + mhz + " MHz, " + Runtime.getRuntime().availableProcessors()
                + " available processors");
        System.out.println("# Netty: " + Version.identify().getOrDefault("netty-buffer",
                Version.identify().values().stream().findFirst().orElse(null)).artifactVersion()
                + ", allocator " + ByteBufAllocator.DEFAULT.getClass().getSimpleName()
                + " (decoders' cumulation buffers)");
        System.out.println("# cumulator: " + cumulator + (cumulator.equals("merge") ? " (default)" : " (experiment)"));
        System.out.println("# thread: " + Thread.currentThread().getClass().getSimpleName()
                + (fastThread ? " (like an event loop)" : " (--plain-thread)"));
        System.out.println("# leak detection: " + ResourceLeakDetector.getLevel()
                + (ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.DISABLED
                        ? " (throughput run; leaks are covered by the tests)" : " (WARNING: figures are skewed)"));
        System.out.printf(Locale.ROOT, "# streams %d MiB each, reads of %d B, %d iteration(s) x %.2f s, "
                + "warm-up %.1f s per case; sizes %s; chunking %s%n", bufferMiB, chunkSize, iterations,
                iterationSeconds, warmupSeconds, Arrays.toString(sizes), chunkings);
        System.out.println("# GB = 1e9 bytes. body = bytes of message bodies; wire = bytes fed to the decoder.");
    }
}
