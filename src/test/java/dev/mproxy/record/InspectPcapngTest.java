package dev.mproxy.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mproxy.cli.MproxyCommand;
import dev.mproxy.recordproxy.RecordProxy;
import dev.mproxy.recordproxy.RecordProxyConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording made by the record proxy over real sockets, turned into a capture by {@code mproxy inspect
 * --pcapng}, and read back by the independent pcapng and TCP readers: each side's bytes come back exactly.
 */
@Timeout(60)
class InspectPcapngTest {

    @TempDir
    Path dir;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    @Test
    void captureOfARecordedConnectionReassemblesToWhatEachSideSent() throws Exception {
        byte[] request = new byte[300_000];
        byte[] response = new byte[700_000];
        new Random(3).nextBytes(request);
        new Random(4).nextBytes(response);
        Path recording;
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Future<byte[]> served = threads.submit(() -> {
                try (Socket s = server.accept()) {
                    byte[] got = s.getInputStream().readAllBytes();
                    s.getOutputStream().write(response);
                    return got;
                }
            });
            String root = dir.resolve("rec").toString();
            try (RecordProxy proxy = new RecordProxy(RecordProxyConfig.newBuilder()
                    .listen(new InetSocketAddress("127.0.0.1", 0))
                    .server(new InetSocketAddress("127.0.0.1", server.getLocalPort())).logRoot(root)
                    .format(RecordingFormat.MCREC).build()).start();
                 Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.address().getPort())) {
                client.setSoTimeout(20_000);
                client.getOutputStream().write(request);
                client.shutdownOutput();
                assertArrayEquals(response, client.getInputStream().readAllBytes());
                assertArrayEquals(request, served.get(20, TimeUnit.SECONDS));
            }
            recording = Path.of(root + "_1.mcrec");
        }

        Path capture = dir.resolve("rec.pcapng");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = MproxyCommand.commandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute("inspect", recording.toString(), "--pcapng", capture.toString());
        assertEquals(0, code, err.toString());

        SessionInfo session;
        List<RecordedEvent> events = new ArrayList<>();
        try (RecordingReader reader = RecordingReader.open(recording)) {
            session = reader.session();
            RecordedEvent e;
            while ((e = reader.next()) != null) {
                events.add(e);
            }
        }
        PcapngExporterTest.Capture c = PcapngExporterTest.check(capture, session, events);
        assertArrayEquals(request, c.connection().stream(Direction.FROM_CLIENT));
        assertArrayEquals(response, c.connection().stream(Direction.FROM_SERVER));
        assertEquals(session.client(), c.connection().client, "the real client address and port");
    }
}
