/*
 * The attacks of issue 13 against a running gateway, each followed by a legitimate client that must still be
 * served, with the gateway's file descriptors and RSS measured before, at the peak and after.
 *
 *   java -cp mproxy.jar bench/Attack.java GATEWAY_PID DEVICE_PORT LEGIT_PORT EVIL_PORT EVIL_TOKEN ATTACK...
 *
 * DEVICE_PORT is the gateway's TLS device port on 127.0.0.1; LEGIT_PORT a public port a well-behaved connector
 * serves with an echo server behind it; EVIL_PORT the port EVIL_TOKEN grants, used by the M1 attack's own
 * device. ATTACK is one or more of:
 *
 *   h1  2000 connections finish TLS on the device port and send nothing; fds 15 s later
 *   h2  1100 idle TCP connections from 127.0.0.1 to LEGIT_PORT; then a client from 127.0.0.2 must be served
 *   h3  4 clients upgrade without a token and send 60 x 1 MiB junk control messages each, never reading
 *   m1  a device with a token ignores pause toward 20 public clients that never read, 32 MiB each
 *
 * One line per attack, key=value, which bench/attack.sh tabulates:
 *
 *   attack=h1 fds_before=60 fds_peak=2061 fds_after=61 rss_before_mb=120 rss_peak_mb=180 rss_after_mb=170 legit=served
 *
 * Uses the M-PROXY codec from the jar on the class path (the gateway's own), and plain blocking sockets; TLS
 * trusts any certificate (it only attacks).
 */

import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.MproxyMessageDecoder;
import dev.mproxy.protocol.MproxyMessageEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

public final class Attack {

    static long pid;
    static int devicePort;
    static int legitPort;
    static int evilPort;
    static String evilToken;
    static SSLContext tls;
    static final List<Socket> held = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        pid = Long.parseLong(args[0]);
        devicePort = Integer.parseInt(args[1]);
        legitPort = Integer.parseInt(args[2]);
        evilPort = Integer.parseInt(args[3]);
        evilToken = args[4];
        tls = trustingEverything();
        for (int i = 5; i < args.length; i++) {
            Sampler sampler = new Sampler();
            long fdsBefore = fds();
            long rssBefore = rssMb();
            sampler.start();
            String extra;
            switch (args[i]) {
                case "h1": extra = h1(); break;
                case "h2": extra = h2(); break;
                case "h3": extra = h3(); break;
                case "m1": extra = m1(); break;
                default: throw new IllegalArgumentException("unknown attack " + args[i] + " (expected: h1 h2 h3 m1)");
            }
            String legit = legitServed("127.0.0.2") ? "served" : "NOT-served";
            sampler.stop();
            long fdsPeak = sampler.fdsPeak;
            long rssPeak = sampler.rssPeak;
            for (Socket s : held) {
                closeQuietly(s);
            }
            held.clear();
            Thread.sleep(3000);
            System.out.println("attack=" + args[i] + " fds_before=" + fdsBefore + " fds_peak=" + fdsPeak
                    + " fds_after=" + fds() + " rss_before_mb=" + rssBefore + " rss_peak_mb=" + rssPeak
                    + " rss_after_mb=" + rssMb() + " legit=" + legit + extra + " alive=" + alive());
        }
    }

    /** H1: TLS done, then silence; how many the gateway still holds 15 s later. */
    static String h1() throws Exception {
        int opened = 0;
        for (int i = 0; i < 2000; i++) {
            try {
                SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", devicePort);
                s.startHandshake();
                held.add(s);
                opened++;
            } catch (IOException e) {
                break; // the gateway is out of descriptors, or refused
            }
        }
        Thread.sleep(15_000);
        int open = 0;
        for (Socket s : held) {
            open += isOpen(s) ? 1 : 0;
        }
        return " opened=" + opened + " still_open_after_15s=" + open;
    }

    /** H2: one source takes the legitimate device's stream table with idle connections. */
    static String h2() throws Exception {
        int opened = 0;
        for (int i = 0; i < 1100; i++) {
            try {
                Socket s = new Socket();
                s.bind(new InetSocketAddress("127.0.0.1", 0));
                s.connect(new InetSocketAddress("127.0.0.1", legitPort), 5000);
                held.add(s);
                opened++;
            } catch (IOException e) {
                break;
            }
        }
        Thread.sleep(3000);
        int open = 0;
        for (Socket s : held) {
            open += isOpen(s) ? 1 : 0;
        }
        return " opened=" + opened + " held_by_gateway=" + open;
    }

    /** H3: junk control messages without a token, from clients that never read. */
    static String h3() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicLong sent = new AtomicLong();
        byte[] junk = new byte[1024 * 1024];
        java.util.Arrays.fill(junk, (byte) '"');
        byte[] frame = wsFrame(encode(MproxyMessage.control(Unpooled.wrappedBuffer(junk))));
        for (int c = 0; c < 4; c++) {
            pool.submit(() -> {
                try {
                    Socket s = upgrade(null);
                    OutputStream out = s.getOutputStream();
                    for (int i = 0; i < 60; i++) {
                        out.write(frame);
                        sent.addAndGet(junk.length);
                    }
                } catch (IOException e) {
                    // closed by the gateway: what the bound should do
                }
                return null;
            });
        }
        pool.shutdown();
        pool.awaitTermination(20, TimeUnit.SECONDS);
        pool.shutdownNow();
        return " junk_sent_mb=" + sent.get() / (1024 * 1024);
    }

    /** M1: a device with a token sends 32 MiB to each of 20 public clients that never read, ignoring pause. */
    static String m1() throws Exception {
        Socket device = upgrade(evilToken);
        InputStream in = device.getInputStream();
        EmbeddedChannel decoder = new EmbeddedChannel(new MproxyMessageDecoder());
        for (int i = 0; i < 20; i++) {
            Socket client = new Socket();
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress("127.0.0.1", evilPort), 5000);
            held.add(client);
        }
        List<MproxyMessage> connections = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        DataInputStream frames = new DataInputStream(in);
        device.setSoTimeout(10_000);
        while (connections.size() < 20 && System.nanoTime() < deadline) {
            decoder.writeInbound(Unpooled.wrappedBuffer(readFrame(frames)));
            MproxyMessage m;
            while ((m = decoder.readInbound()) != null) {
                if (m.type() == MessageType.CONNECTION) {
                    connections.add(m);
                } else {
                    m.release();
                }
            }
        }
        AtomicLong sent = new AtomicLong();
        Thread sender = new Thread(() -> {
            byte[] chunk = new byte[64 * 1024];
            try {
                OutputStream out = device.getOutputStream();
                for (int round = 0; round < 512; round++) { // 512 x 64 KiB = 32 MiB per stream
                    for (MproxyMessage c : connections) {
                        out.write(wsFrame(encode(MproxyMessage.data(c.address(), c.service(), c.servicePort(),
                                c.name(), Unpooled.wrappedBuffer(chunk)))));
                        sent.addAndGet(chunk.length);
                    }
                }
            } catch (IOException e) {
                // closed
            }
        });
        sender.setDaemon(true);
        sender.start();
        sender.join(30_000);
        held.add(device);
        connections.forEach(MproxyMessage::release);
        decoder.finishAndReleaseAll();
        return " streams=" + connections.size() + " device_sent_mb=" + sent.get() / (1024 * 1024)
                + " sender_blocked=" + sender.isAlive();
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    /** A WebSocket on the device port, upgraded (with the token as a Bearer header if not null). */
    static Socket upgrade(String token) throws IOException {
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", devicePort);
        s.startHandshake();
        s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        int matched = 0;
        while (matched < 4) { // up to the blank line ending the 101 response
            int b = in.read();
            if (b < 0) {
                throw new IOException("upgrade refused");
            }
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        held.add(s);
        return s;
    }

    static byte[] encode(MproxyMessage m) {
        ByteBuf buf = MproxyMessageEncoder.INSTANCE.encode(ByteBufAllocator.DEFAULT, m);
        m.release();
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        return bytes;
    }

    /** A masked binary frame, the mask all zeros so the payload goes as it is. */
    static byte[] wsFrame(byte[] payload) {
        byte[] head = new byte[14];
        int n = 0;
        head[n++] = (byte) 0x82;
        if (payload.length < 126) {
            head[n++] = (byte) (0x80 | payload.length);
        } else if (payload.length < 65536) {
            head[n++] = (byte) (0x80 | 126);
            head[n++] = (byte) (payload.length >> 8);
            head[n++] = (byte) payload.length;
        } else {
            head[n++] = (byte) (0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                head[n++] = (byte) ((long) payload.length >> (8 * i));
            }
        }
        n += 4; // zero mask
        byte[] frame = new byte[n + payload.length];
        System.arraycopy(head, 0, frame, 0, n);
        System.arraycopy(payload, 0, frame, n, payload.length);
        return frame;
    }

    /** The payload of the server's next binary frame (unmasked); other frames are skipped. */
    static byte[] readFrame(DataInputStream in) throws IOException {
        while (true) {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            long len = b1 & 0x7f;
            if (len == 126) {
                len = in.readUnsignedShort();
            } else if (len == 127) {
                len = in.readLong();
            }
            byte[] payload = new byte[(int) len];
            in.readFully(payload);
            if ((b0 & 0x0f) == 2) {
                return payload;
            }
        }
    }

    /** A client from {@code source} gets its bytes echoed through the legitimate device within 5 s. */
    static boolean legitServed(String source) {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(source, 0));
            s.connect(new InetSocketAddress("127.0.0.1", legitPort), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write('x');
            return s.getInputStream().read() == 'x';
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the gateway still holds {@code s}: no FIN or reset waiting on it. */
    static boolean isOpen(Socket s) {
        try {
            s.setSoTimeout(1);
            return s.getInputStream().read() >= 0;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return true;
        } catch (IOException closed) {
            return false;
        }
    }

    static boolean alive() {
        return Files.exists(Path.of("/proc/" + pid));
    }

    static long fds() {
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return list.count();
        } catch (IOException e) {
            return -1;
        }
    }

    static long rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException e) {
            // gone
        }
        return -1;
    }

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    static SSLContext trustingEverything() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return context;
    }

    /** Samples the gateway's fds and RSS every 200 ms, keeping the peaks. */
    static final class Sampler {
        volatile long fdsPeak;
        volatile long rssPeak;
        private volatile boolean running = true;
        private final Thread thread = new Thread(() -> {
            while (running) {
                fdsPeak = Math.max(fdsPeak, fds());
                rssPeak = Math.max(rssPeak, rssMb());
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });

        void start() {
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join();
        }
    }
}
