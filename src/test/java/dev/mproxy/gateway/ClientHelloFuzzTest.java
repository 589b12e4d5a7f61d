package dev.mproxy.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.testing.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.time.Clock;

/**
 * Fuzzes the TLS port's router (routing §2) with arbitrary first bytes of a connection: {@link SniRouter}, which
 * reads the ClientHello with Netty's parser and looks its server name up, over an embedded channel with no
 * device connected. For every input:
 * <ul>
 *   <li>the router either waits for more, or answers the {@code unrecognized_name} alert and closes (routing
 *       2.3), or refuses a ClientHello over the limit with a {@link DecoderException} (routing 2.2); nothing
 *       else is thrown;</li>
 *   <li>the verdict is the same whether the bytes come whole, byte by byte or in two pieces;</li>
 *   <li>every buffer is released.</li>
 * </ul>
 */
class ClientHelloFuzzTest {

    private static final DeviceRegistry NO_DEVICES = new DeviceRegistry(GatewayConfig.newBuilder()
            .verifier(new TokenVerifier(TestSecrets.random(), Clock.systemUTC())).build(), null, null);
    private static final byte[] UNRECOGNIZED_NAME = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112};
    private static final int BYTE_BY_BYTE_LIMIT = 1024;

    @FuzzTest(maxDuration = "2m")
    void route(byte[] hello) {
        String verdict = verdict(hello, new int[0]);
        if (hello.length <= BYTE_BY_BYTE_LIMIT) {
            int[] every = new int[Math.max(0, hello.length - 1)];
            for (int i = 0; i < every.length; i++) {
                every[i] = i + 1;
            }
            assertEquals(verdict, verdict(hello, every), "byte by byte");
        }
        int cut = hello.length == 0 ? 0 : (hello[hello.length - 1] & 0xff) * 64 % (hello.length + 1);
        assertEquals(verdict, verdict(hello, new int[] {cut}), "in two pieces cut at " + cut);
    }

    /** "waiting", or "refused" when the router answered the alert and closed. */
    private static String verdict(byte[] hello, int[] cuts) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new SniRouter(NO_DEVICES, 443, 10_000, GatewayObserver.NONE));
        int from = 0;
        String error = null;
        for (int i = 0; i <= cuts.length && channel.isActive() && error == null; i++) {
            int to = i < cuts.length ? cuts[i] : hello.length;
            if (to > from) {
                try {
                    channel.writeInbound(alloc.buffer(to - from).writeBytes(hello, from, to - from));
                } catch (DecoderException e) {
                    // Netty's reader refuses a ClientHello over the limit (routing 2.2) this way; the gateway's
                    // exceptionCaught closes the connection
                    error = "refused by the ClientHello reader: " + e.getClass().getSimpleName();
                }
            }
            from = Math.max(from, to);
        }
        if (error != null) {
            channel.finishAndReleaseAll();
            alloc.assertAllReleased("routing " + hello.length + " bytes");
            return error;
        }
        String verdict = "waiting";
        ByteBuf answer = channel.readOutbound();
        if (answer != null) {
            try {
                assertArrayEquals(UNRECOGNIZED_NAME, ByteBufUtil.getBytes(answer), "answer (routing 2.3)");
            } finally {
                answer.release();
            }
            assertTrue(channel.outboundMessages().isEmpty(), "a second answer");
            verdict = "refused";
        }
        if (!channel.isActive()) {
            verdict = verdict.equals("refused") ? verdict : "closed without an answer";
        } else {
            assertFalse(verdict.equals("refused"), "still open after the alert");
        }
        channel.finishAndReleaseAll();
        alloc.assertAllReleased("routing " + hello.length + " bytes");
        return verdict;
    }
}
