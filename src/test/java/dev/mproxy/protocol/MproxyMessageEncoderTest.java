package dev.mproxy.protocol;

import static dev.mproxy.protocol.Frames.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The encoder writes proxy-packer's bytes (protocol-spec §3) and refuses what proxy-packer corrupts (§5, rules 2.2 and 2.4). */
class MproxyMessageEncoderTest {

    private static final StreamAddress CLIENT = new StreamAddress("IPv4", "127.0.1.1", "4321");

    @Test
    void controlMessageHasFiveFieldHeader() { // the example of telebit's hello, protocol-spec §3.8
        assertBytes(frame(",,,11,control", "[1,\"hello\"]"), MproxyMessageEncoder.INSTANCE,
                MproxyMessage.control(ascii("[1,\"hello\"]")));
    }

    @Test
    void connectionHasEightFieldsAndNoBody() { // packHeader(addr, null, 'connection'), rule 3.4
        assertBytes(frame("IPv4,127.0.1.1,4321,0,connection,443,example.com,https", ""),
                MproxyMessageEncoder.INSTANCE, MproxyMessage.connection(CLIENT, "https", "443", "example.com"));
    }

    @Test
    void paddedFormSendsOneSpaceForAnEmptyBody() { // pack(addr, null, 'connection'), rule 3.2
        assertBytes(frame("IPv4,127.0.1.1,4321,1,connection,443,example.com,https", " "),
                MproxyMessageEncoder.PADDED, MproxyMessage.connection(CLIENT, "https", "443", "example.com"));
        assertBytes(frame("IPv4,127.0.1.1,4321,1,end,443,example.com", " "),
                MproxyMessageEncoder.PADDED, MproxyMessage.end(CLIENT, "443", "example.com"));
    }

    @Test
    void dataEndPauseResumeUseTheReservedWordAsFifthField() {
        assertBytes(frame("IPv4,127.0.1.1,4321,3,https,443,example.com", "abc"), MproxyMessageEncoder.INSTANCE,
                MproxyMessage.data(CLIENT, "https", "443", "example.com", ascii("abc")));
        assertBytes(frame("IPv4,127.0.1.1,4321,0,end,443,example.com", ""), MproxyMessageEncoder.INSTANCE,
                MproxyMessage.end(CLIENT, "443", "example.com"));
        assertBytes(frame("IPv4,127.0.1.1,4321,7,pause,443,example.com", "1048576"), MproxyMessageEncoder.INSTANCE,
                MproxyMessage.pause(CLIENT, "443", "example.com", 1048576));
        assertBytes(frame("IPv4,127.0.1.1,4321,1,resume,443,", "0"), MproxyMessageEncoder.INSTANCE,
                MproxyMessage.resume(CLIENT, "443", "", 0));
    }

    @Test
    void errorBodyIsAlwaysAJsonObjectWithMessageAndCode() { // rule 3.6
        String body = "{\"message\":\"connect ECONNREFUSED 127.0.0.1:3000\",\"code\":\"ECONNREFUSED\"}";
        assertBytes(frame("IPv4,127.0.1.1,4321," + body.length() + ",error,443,example.com", body),
                MproxyMessageEncoder.INSTANCE, MproxyMessage.error(CLIENT, "443", "example.com",
                        "connect ECONNREFUSED 127.0.0.1:3000", "ECONNREFUSED"));
    }

    @Test
    void errorMessageIsEscapedAsJson() {
        MproxyMessage m = MproxyMessage.error(CLIENT, "", "", "quote \" and \\ and \n", "E_X");
        try {
            assertEquals("{\"message\":\"quote \\\" and \\\\ and \\n\",\"code\":\"E_X\"}",
                    m.content().toString(StandardCharsets.UTF_8));
        } finally {
            m.release();
        }
    }

    @Test
    void headerOver255BytesIsRefusedNotWrapped() { // rule 2.2; proxy-packer writes length mod 256
        String name = "a".repeat(240) + ".example";
        MproxyMessage m = MproxyMessage.data(new StreamAddress("IPv6", "2001:db8::1", "65535"), "https", "443",
                name, ascii("x"));
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MproxyMessageEncoder.INSTANCE.encode(ByteBufAllocator.DEFAULT, m));
            assertTrue(e.getMessage().startsWith("header length (283) exceeds the allowed maximum (255)"),
                    e.getMessage());
        } finally {
            m.release();
        }
    }

    @Test
    void headerOfExactly255BytesIsAccepted() {
        String prefix = "IPv4,1.2.3.4,5,1,tcp,22,";
        String name = "n".repeat(255 - prefix.length());
        assertBytes(frame(prefix + name, "x"), MproxyMessageEncoder.INSTANCE,
                MproxyMessage.data(new StreamAddress("IPv4", "1.2.3.4", "5"), "tcp", "22", name, ascii("x")));
    }

    @Test
    void emptyDataMessageCannotBeBuilt() { // rule 3.3: telebit's device crashes on one
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MproxyMessage.data(CLIENT, "tcp", "22", "", Unpooled.EMPTY_BUFFER));
        assertTrue(e.getMessage().contains("rule 3.3"));
    }

    @Test
    void fieldWithCommaOrControlCharacterCannotBeBuilt() {
        assertThrows(IllegalArgumentException.class, () -> new StreamAddress("IPv4", "1.2.3.4,5", "6"));
        assertThrows(IllegalArgumentException.class,
                () -> MproxyMessage.connection(CLIENT, "https", "443", "evil\r\nname"));
    }

    @Test
    void largeBodyIsAppendedWithoutCopy() {
        ByteBuf body = Unpooled.wrappedBuffer(new byte[4096]);
        MproxyMessage m = MproxyMessage.data(CLIENT, "tcp", "22", "", body);
        ByteBuf encoded = MproxyMessageEncoder.INSTANCE.encode(ByteBufAllocator.DEFAULT, m);
        try {
            assertTrue(encoded instanceof CompositeByteBuf);
            assertEquals(2, ((CompositeByteBuf) encoded).numComponents());
            assertEquals(2 + "IPv4,127.0.1.1,4321,4096,tcp,22,".length() + 4096, encoded.readableBytes());
        } finally {
            encoded.release();
            m.release();
        }
        assertEquals(0, body.refCnt());
    }

    @Test
    void encoderInPipelineReleasesTheMessage() {
        EmbeddedChannel ch = new EmbeddedChannel(MproxyMessageEncoder.INSTANCE);
        MproxyMessage m = MproxyMessage.data(CLIENT, "tcp", "22", "", Unpooled.wrappedBuffer(new byte[2000]));
        assertTrue(ch.writeOutbound(m));
        ByteBuf out = ch.readOutbound();
        assertEquals(2 + "IPv4,127.0.1.1,4321,2000,tcp,22,".length() + 2000, out.readableBytes());
        out.release();
        assertEquals(0, m.refCnt(), "the body is freed once the encoded bytes are written");
        ch.finishAndReleaseAll();
    }

    private static void assertBytes(byte[] expected, MproxyMessageEncoder encoder, MproxyMessage message) {
        ByteBuf encoded = encoder.encode(ByteBufAllocator.DEFAULT, message);
        try {
            assertArrayEquals(expected, ByteBufUtil.getBytes(encoded),
                    () -> "got " + ByteBufUtil.hexDump(encoded));
        } finally {
            encoded.release();
            message.release();
        }
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }
}
