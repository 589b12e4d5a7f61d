/*
 * 1-byte TCP ping-pong: round-trip latency through whatever sits between client and server.
 *
 *   java bench/PingPong.java server PORT                       echo server on 127.0.0.1:PORT (until killed)
 *   java bench/PingPong.java client HOST PORT COUNT [WARMUP]   COUNT timed round trips after WARMUP untimed ones
 *
 * Single-file program for the Java 11+ source launcher, no dependency. Blocking sockets, TCP_NODELAY on both
 * ends, one connection: the client writes 1 byte, waits for the 1-byte echo, and times each round trip with
 * System.nanoTime. It prints one line of key=value pairs (microseconds), which bench/run-tunnel.sh parses:
 *
 *   pingpong count=20000 mean_us=41.2 p50_us=38.9 p90_us=47.0 p99_us=80.1 p999_us=160.3 max_us=900.0
 *
 * The server echoes whatever it reads, one thread per connection, so it works for any client.
 */

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Locale;

public final class PingPong {

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("server")) {
            server(Integer.parseInt(args[1]));
        } else if (args.length >= 4 && args[0].equals("client")) {
            client(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    args.length >= 5 ? Integer.parseInt(args[4]) : 2000);
        } else {
            System.err.println("usage: java bench/PingPong.java server PORT");
            System.err.println("       java bench/PingPong.java client HOST PORT COUNT [WARMUP]");
            System.exit(2);
        }
    }

    static void server(int port) throws IOException {
        try (ServerSocket listener = new ServerSocket()) {
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
            System.out.println("pingpong server listening on " + listener.getLocalSocketAddress());
            System.out.flush();
            while (true) {
                Socket s = listener.accept();
                Thread t = new Thread(() -> echo(s), "echo-" + s.getPort());
                t.setDaemon(true);
                t.start();
            }
        }
    }

    static void echo(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // client went away
        }
    }

    static void client(String host, int port, int count, int warmup) throws IOException {
        long[] rtt = new long[count];
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < warmup; i++) {
                roundTrip(in, out, i);
            }
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                roundTrip(in, out, i);
                rtt[i] = System.nanoTime() - t0;
            }
        }
        long sum = 0;
        for (long r : rtt) {
            sum += r;
        }
        Arrays.sort(rtt);
        System.out.println(String.format(Locale.ROOT,
                "pingpong count=%d mean_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f",
                count, sum / 1e3 / count, pct(rtt, 50), pct(rtt, 90), pct(rtt, 99), pct(rtt, 99.9),
                rtt[count - 1] / 1e3));
    }

    static void roundTrip(InputStream in, OutputStream out, int i) throws IOException {
        byte b = (byte) i;
        out.write(b);
        int r = in.read();
        if (r < 0) {
            throw new IOException("connection closed after " + i + " round trips");
        }
        if ((byte) r != b) {
            throw new IOException("round trip " + i + ": sent " + (b & 0xff) + ", got " + r);
        }
    }

    /** Nearest-rank percentile of sorted nanoseconds, in microseconds. */
    static double pct(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e3;
    }
}
