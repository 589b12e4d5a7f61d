package dev.mproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mproxy.protocol.Frames.Decoded;
import dev.mproxy.protocol.Frames.Result;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property: any stream of encoded messages decodes to the same messages whether it arrives whole, one byte at
 * a time, or cut at random points (protocol-spec rule 2.8). Seeded, so a failure names its reproducible case.
 */
class SplitInvarianceTest {

    private static final long SEED = 0x6d70726f7879L; // "mproxy"
    private static final String[] FAMILIES = {"IPv4", "IPv6"};
    private static final String[] ADDRESSES = {"127.0.0.1", "203.0.113.9", "::1", "::ffff:198.51.100.7",
        "2001:db8:85a3::8a2e:370:7334"};
    private static final String[] SERVICES = {"https", "http", "tcp", "ssh", "foo-https"};
    private static final String[] NAMES = {"", "example.com", "a.b.example.net", "xn--bcher-kva.example",
        "bücher.example"};

    @Test
    void randomSplitsOfRandomStreamsDecodeAlike() {
        Random random = new Random(SEED);
        for (int c = 0; c < 2000; c++) {
            Case tc = randomCase(random, 1 + random.nextInt(24), 4000);
            assertAlike(tc, "whole", Frames.decode(tc.stream));
            for (int s = 0; s < 3; s++) {
                int[] cuts = randomCuts(random, tc.stream.length);
                assertAlike(tc, "cuts " + Arrays.toString(cuts), Frames.decode(tc.stream, cuts));
            }
        }
    }

    @Test
    void byteByByteDecodesAlike() {
        Random random = new Random(SEED + 1);
        for (int c = 0; c < 300; c++) {
            Case tc = randomCase(random, 1 + random.nextInt(8), 300);
            assertAlike(tc, "byte by byte", Frames.decodeByteByByte(tc.stream));
        }
    }

    private static void assertAlike(Case tc, String how, Result result) {
        assertNull(result.error(), () -> tc.id + " " + how);
        assertEquals(tc.expected, result.messages(), () -> tc.id + " " + how);
    }

    private record Case(String id, byte[] stream, List<Decoded> expected) {
    }

    private static Case randomCase(Random random, int count, int maxBody) {
        String id = "case seeded from " + random.nextLong();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        List<Decoded> expected = new ArrayList<>();
        MproxyMessageEncoder encoder = random.nextBoolean() ? MproxyMessageEncoder.INSTANCE
                : MproxyMessageEncoder.PADDED;
        for (int i = 0; i < count; i++) {
            MproxyMessage m = randomMessage(random, maxBody);
            expected.add(Decoded.of(m));
            ByteBuf encoded = encoder.encode(ByteBufAllocator.DEFAULT, m);
            stream.writeBytes(ByteBufUtil.getBytes(encoded));
            encoded.release();
            m.release();
        }
        return new Case(id, stream.toByteArray(), expected);
    }

    private static MproxyMessage randomMessage(Random random, int maxBody) {
        int family = random.nextInt(FAMILIES.length);
        StreamAddress a = new StreamAddress(FAMILIES[family], pick(random, ADDRESSES),
                Integer.toString(1 + random.nextInt(65535)));
        String port = random.nextInt(5) == 0 ? "" : Integer.toString(random.nextInt(65536));
        String name = pick(random, NAMES);
        switch (random.nextInt(8)) {
            case 0:
                return MproxyMessage.connection(a, pick(random, SERVICES), port, name);
            case 1:
                return MproxyMessage.end(a, port, name);
            case 2:
                return MproxyMessage.error(a, port, name, "connect ECONNREFUSED " + a.address(), "ECONNREFUSED");
            case 3:
                return MproxyMessage.pause(a, port, name, random.nextInt(Integer.MAX_VALUE));
            case 4:
                return MproxyMessage.resume(a, port, name, random.nextInt(Integer.MAX_VALUE));
            case 5:
                return MproxyMessage.control(Unpooled.copiedBuffer("[" + (random.nextInt(2000) - 1000)
                        + ",\"hello\",[1]]", StandardCharsets.US_ASCII));
            default:
                byte[] body = new byte[1 + random.nextInt(maxBody)];
                random.nextBytes(body);
                return MproxyMessage.data(a, pick(random, SERVICES), port, name, Unpooled.wrappedBuffer(body));
        }
    }

    private static int[] randomCuts(Random random, int length) {
        int n = random.nextInt(Math.min(length, 40) + 1);
        return random.ints(n, 1, Math.max(2, length)).distinct().sorted().toArray();
    }

    private static String pick(Random random, String[] values) {
        return values[random.nextInt(values.length)];
    }
}
