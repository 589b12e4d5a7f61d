package dev.mproxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.testing.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.regex.Pattern;

/**
 * Fuzzes the HTTP port's router (routing §3) with arbitrary first bytes of a connection: {@link HttpHostRouter}
 * over an embedded channel, with no device connected, and {@link RequestHead#parse} on the head it finds.
 * For every input:
 * <ul>
 *   <li>the router answers one of the statuses of routing 3.2 and closes, or waits for more, and gives the same
 *       verdict whether the bytes come whole, byte by byte or in two pieces;</li>
 *   <li>a head with a bare CR or LF, or a header name that is not a token, is refused with 400 (routing 3.5);</li>
 *   <li>a host the parser accepts is a name, an IPv4 address or a bracketed IPv6 address, lowercase, that the
 *       device's server would read the same (routing 3.1);</li>
 *   <li>the parser throws nothing but {@link IllegalArgumentException}, and every buffer is released.</li>
 * </ul>
 */
class HttpHeadFuzzTest {

    private static final DeviceRegistry NO_DEVICES = new DeviceRegistry(GatewayConfig.newBuilder()
            .verifier(new TokenVerifier(TestSecrets.random(), Clock.systemUTC())).build(), null, null);
    private static final int BYTE_BY_BYTE_LIMIT = 2048;
    /** What a routable host may be: a DNS name, dotted IPv4 digits, or a bracketed IPv6 address. */
    private static final Pattern HOST = Pattern.compile("[a-z0-9.-]+|\\[[0-9a-f:.]+\\]");
    /** RFC 9110 §5.6.2: a field name is a token. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    @FuzzTest(maxDuration = "2m")
    void route(byte[] request) {
        String verdict = verdict(request, new int[0]);
        if (request.length <= BYTE_BY_BYTE_LIMIT) {
            int[] every = new int[Math.max(0, request.length - 1)];
            for (int i = 0; i < every.length; i++) {
                every[i] = i + 1;
            }
            assertEquals(verdict, verdict(request, every), "byte by byte");
        }
        int cut = request.length == 0 ? 0 : (request[0] & 0xff) % (request.length + 1);
        assertEquals(verdict, verdict(request, new int[] {cut}), "in two pieces cut at " + cut);

        String text = new String(request, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        String seen = end < 0 ? text.substring(0, Math.min(text.length(), HttpHostRouter.MAX_HEAD))
                : text.substring(0, end + 4);
        // routing 3.5: a bare LF is answered as it arrives, a bare CR once the head is complete
        if (end < 0 ? seen.matches("(?s)(.*[^\r])?\n.*") : hasBareCrOrLf(seen)) {
            assertEquals("400", verdict, "a bare CR or LF in the head (routing 3.5)");
            return;
        }
        if (end < 0 || end + 4 > HttpHostRouter.MAX_HEAD) {
            assertTrue(verdict.equals("waiting") || verdict.equals("431"), verdict);
            return;
        }
        String head = text.substring(0, end + 4);
        RequestHead parsed = null;
        try {
            parsed = RequestHead.parse(head);
        } catch (IllegalArgumentException e) {
            assertEquals("400", verdict, "the parser refused the head: " + e.getMessage());
        }
        if (parsed == null) {
            return;
        }
        assertEquals("502", verdict, "a head the parser accepts is routed (no device: 502)");
        String host = parsed.host();
        assertTrue(HOST.matcher(host).matches(), () -> "host \"" + host + "\" (expected: a name or an address)");
        for (String line : head.substring(head.indexOf("\r\n") + 2, end + 2).split("\r\n")) {
            if (!line.isEmpty()) {
                String name = line.substring(0, line.indexOf(':'));
                assertTrue(TOKEN.matcher(name).matches(), () -> "header name \"" + name + "\" accepted (routing 3.5)");
            }
        }
    }

    /** The status the router answered, or "waiting"; the router must close after answering. */
    private static String verdict(byte[] request, int[] cuts) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new HttpHostRouter(NO_DEVICES, 80, 10_000, GatewayObserver.NONE));
        int from = 0;
        for (int i = 0; i <= cuts.length && channel.isActive(); i++) {
            int to = i < cuts.length ? cuts[i] : request.length;
            if (to > from) {
                channel.writeInbound(alloc.buffer(to - from).writeBytes(request, from, to - from));
            }
            from = Math.max(from, to);
        }
        String verdict = "waiting";
        ByteBuf response = channel.readOutbound();
        if (response != null) {
            try {
                String text = response.toString(StandardCharsets.ISO_8859_1);
                assertTrue(text.startsWith("HTTP/1.1 "), text);
                verdict = text.substring(9, 12);
                assertTrue(verdict.matches("400|431|502"), "status " + verdict + " (expected: routing 3.2)");
                assertFalse(channel.isActive(), "still open after answering " + verdict);
            } finally {
                response.release();
            }
            assertTrue(channel.outboundMessages().isEmpty(), "a second answer");
        }
        channel.finishAndReleaseAll();
        alloc.assertAllReleased("routing " + request.length + " bytes");
        return verdict;
    }

    /** A CR not followed by LF, or an LF not after CR; a CR that ends the input may yet be followed by LF. */
    private static boolean hasBareCrOrLf(String head) {
        for (int i = 0; i < head.length(); i++) {
            char c = head.charAt(i);
            if (c == '\r' && i + 1 < head.length() && head.charAt(i + 1) != '\n'
                    || c == '\n' && (i == 0 || head.charAt(i - 1) != '\r')) {
                return true;
            }
        }
        return false;
    }
}
