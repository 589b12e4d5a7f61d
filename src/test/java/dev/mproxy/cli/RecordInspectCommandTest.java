package dev.mproxy.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordedEvent;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.record.RecordingReader;
import dev.mproxy.recordproxy.RecordProxy;
import dev.mproxy.recordproxy.RecordProxyConfig;
import dev.mproxy.testing.Loopback;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code mproxy record} as a process that gets killed, and {@code mproxy inspect} on what it leaves. */
@Timeout(60)
class RecordInspectCommandTest {

    @TempDir
    Path tmp;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    @ParameterizedTest
    @EnumSource(RecordingFormat.class)
    void recorderKilledMidStreamLeavesAFileInspectReadsUpToItsLastRecord(RecordingFormat format) throws Exception {
        // recording 4.3/4.4: a file cut short is read to its last complete record; what it holds is what was sent
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            AtomicLong serverGot = new AtomicLong();
            threads.submit(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[8192];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        serverGot.addAndGet(n);
                    }
                }
                return null;
            });
            int proxyPort = Loopback.freePort();
            String root = tmp.resolve("rec").toString();
            Process recorder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "record", "127.0.0.1",
                    Integer.toString(server.getLocalPort()), Integer.toString(proxyPort), root, "--bind", "127.0.0.1",
                    "--format", format.word())
                    .redirectError(tmp.resolve("record.err").toFile())
                    .start();
            byte[] sent = new byte[16 * 1024 * 1024];
            new Random(5).nextBytes(sent);
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(recorder.getInputStream(),
                        StandardCharsets.UTF_8));
                String line = out.readLine();
                assertTrue(line != null && line.startsWith("mproxy record: "), line + "; stderr: "
                        + Files.readString(tmp.resolve("record.err")));
                Socket client = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
                threads.submit(() -> {
                    try (client) {
                        for (int at = 0; at < sent.length; at += 4096) {
                            client.getOutputStream().write(sent, at, 4096);
                        }
                        // Open until the recorder dies: a relay that finished first would finish its file too.
                        client.getInputStream().read();
                    }
                    return null;
                });
                await().atMost(20, TimeUnit.SECONDS).until(() -> serverGot.get() >= 1024 * 1024);
                recorder.destroyForcibly().onExit().get(10, TimeUnit.SECONDS);
            } finally {
                recorder.destroyForcibly();
            }

            Path file = Path.of(root + "_1" + (format == RecordingFormat.MCREC ? ".mcrec" : ""));
            ByteArrayOutputStream recorded = new ByteArrayOutputStream();
            boolean truncated;
            try (RecordingReader reader = RecordingReader.open(file)) {
                RecordedEvent e;
                while ((e = reader.next()) != null) {
                    if (e.kind() == RecordedEvent.Kind.DATA) {
                        assertEquals(Direction.FROM_CLIENT, e.side());
                        recorded.write(e.bytes());
                    }
                }
                truncated = reader.truncated();
            }
            byte[] got = recorded.toByteArray();
            assertTrue(got.length >= 1024 * 1024, "recorded " + got.length + " bytes before the kill");
            assertArrayEquals(Arrays.copyOf(sent, got.length), got, "the recording is a prefix of what was sent");

            Cli.Run inspect = Cli.run("inspect", file.toString());
            assertEquals(0, inspect.exitCode(), inspect.err());
            assertTrue(inspect.out().contains("from client: " + got.length + " bytes in "), inspect.out());
            if (format == RecordingFormat.MCREC) {
                assertTrue(truncated, "an .mcrec without its end block is truncated");
                assertTrue(inspect.out().contains("file:     truncated: "), inspect.out());
                Cli.Run repaired = Cli.run("inspect", "--repair", file.toString());
                assertEquals(0, repaired.exitCode(), repaired.err());
                assertTrue(repaired.out().startsWith("repaired " + file), repaired.out());
                assertTrue(repaired.out().contains("file:     complete"), repaired.out());
                assertTrue(repaired.out().contains("from client: " + got.length + " bytes in "), repaired.out());
            }
        }
    }

    @Test
    void summaryAndDumpShowEachSideTextAndHexAndHowItEnded() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            threads.submit(() -> {
                try (Socket s = server.accept()) {
                    s.getInputStream().readAllBytes();
                    s.getOutputStream().write(new byte[] {0, 1, 2, (byte) 0xff});
                }
                return null;
            });
            String root = tmp.resolve("rec").toString();
            try (RecordProxy proxy = new RecordProxy(RecordProxyConfig.newBuilder()
                    .listen(new InetSocketAddress("127.0.0.1", 0))
                    .server(new InetSocketAddress("127.0.0.1", server.getLocalPort())).logRoot(root)
                    .format(RecordingFormat.NETRECORD).build()).start()) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.address().getPort())) {
                    client.setSoTimeout(20_000);
                    client.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    client.shutdownOutput();
                    assertEquals(4, client.getInputStream().readAllBytes().length);
                }
            }
            Cli.Run summary = Cli.run("inspect", root + "_1");
            assertEquals(0, summary.exitCode(), summary.err());
            String out = summary.out();
            assertTrue(out.startsWith("format:   netrecord\n"), out);
            assertTrue(out.contains("from client: 18 bytes in 1 record, ended (hup) at "), out);
            assertTrue(out.contains("from server: 4 bytes in 1 record, ended (hup) at "), out);
            assertTrue(out.contains("file:     complete"), out);
            assertTrue(out.contains("(estimated from the file's modification time; --start sets it)"), out);

            Cli.Run dump = Cli.run("inspect", "--dump", "--start", "2026-11-24T10:00:00Z", root + "_1");
            assertEquals(0, dump.exitCode(), dump.err());
            assertTrue(dump.out().contains(" c opened\n"), dump.out());
            assertTrue(dump.out().contains(" c 18 bytes\n    | GET / HTTP/1.1\\r\n    | \\r\n"), dump.out());
            assertTrue(dump.out().contains(" s 4 bytes\n"), dump.out());
            assertTrue(dump.out().contains("|00000000| 00 01 02 ff "), dump.out()); // Netty's hex dump
            assertTrue(dump.out().contains("start:    2026-11-24T10:00:00"), dump.out());
        }
    }

    @Test
    void bytesThatAreNoRecordingAreABadInputNamingTheOffset() throws IOException {
        Path file = tmp.resolve("not-a-recording");
        Files.writeString(file, "c 0.000001 con\nc 0.000002 5\nhelloX 0.1 what\n");
        Cli.Run run = Cli.run("inspect", file.toString());
        assertEquals(ExitCodes.DATA_ERROR, run.exitCode(), run.out());
        assertTrue(run.err().contains("mproxy inspect: " + file + ": "), run.err());
        assertTrue(run.err().contains("byte 33"), run.err());
        assertFalse(run.out().contains("file:     complete"), run.out());
    }

    @Test
    void captureIsNeverWrittenOverAnExistingFile() throws IOException {
        Path file = tmp.resolve("rec");
        Files.writeString(file, "c 0.000001 con\n");
        Path existing = tmp.resolve("out.pcapng");
        Files.writeString(existing, "keep me");
        Cli.Run run = Cli.run("inspect", file.toString(), "--pcapng", existing.toString());
        assertEquals(ExitCodes.FAILURE, run.exitCode());
        assertTrue(run.err().contains(existing + " exists"), run.err());
        assertEquals("keep me", Files.readString(existing));
    }
}
