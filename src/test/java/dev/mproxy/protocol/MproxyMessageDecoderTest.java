package dev.mproxy.protocol;

import static dev.mproxy.protocol.Frames.concat;
import static dev.mproxy.protocol.Frames.decode;
import static dev.mproxy.protocol.Frames.frame;
import static dev.mproxy.protocol.Frames.single;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.protocol.Frames.Decoded;
import dev.mproxy.protocol.Frames.Result;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Decoding each kind of message and each broken rule of protocol-spec/m-proxy-v1.md §2–3. */
class MproxyMessageDecoderTest {

    @Test
    void decodesDataMessageWithEveryField() {
        Decoded m = single(frame("IPv4,127.0.1.1,4321,5,https,443,example.com", "hello"));
        assertEquals(new Decoded(MessageType.DATA, "IPv4", "127.0.1.1", "4321", "https", "443", "example.com",
                "aGVsbG8="), m);
    }

    @Test
    void connectionTakesServiceFromTheEighthField() { // rule 3.4
        Decoded m = single(frame("IPv6,::ffff:10.0.0.1,50000,0,connection,443,example.com,https", ""));
        assertEquals(MessageType.CONNECTION, m.type());
        assertEquals("::ffff:10.0.0.1", m.address());
        assertEquals("https", m.service());
        assertEquals("", m.body());
    }

    @Test
    void connectionWithoutEighthFieldHasNoService() {
        Decoded m = single(frame("IPv4,1.2.3.4,5,0,connection,443,example.com", ""));
        assertEquals("", m.service());
    }

    @ParameterizedTest // rule 3.2: pack() pads empty messages with one space, which is not data
    @CsvSource({"connection,443,a.example,https", "end,443,a.example,", "pause,443,a.example,",
        "resume,443,a.example,", "error,443,a.example,"})
    void singleSpaceBodyOfNonDataMessageIsPad(String kind, String port, String name, String service) {
        String header = "IPv4,1.2.3.4,5,1," + kind + ',' + port + ',' + name + (service == null ? "" : ',' + service);
        Decoded m = single(frame(header, " "));
        assertEquals(kind, m.type().displayName());
        assertEquals("", m.body());
    }

    @Test
    void singleSpaceBodyOfDataMessageIsData() {
        assertEquals(" ", single(frame("IPv4,1.2.3.4,5,1,tcp,22,", " ")).bodyText());
    }

    @Test
    void fiveFieldControlMessage() { // rule 3.8
        Decoded m = single(frame(",,,11,control", "[1,\"hello\"]"));
        assertEquals(MessageType.CONTROL, m.type());
        assertEquals("", m.family());
        assertEquals("", m.servicePort());
        assertEquals("[1,\"hello\"]", m.bodyText());
    }

    /**
     * Rule 3.8: the stream fields of a control message are ignored on receive, so it decodes as it is sent
     * ({@code ,,,N,control}) and encodes back to the same message. Found by MproxyDecoderFuzzTest (seed
     * {@code finding-control-with-stream-fields}): the fields were kept, and re-encoding dropped them.
     */
    @Test
    void controlMessageIgnoresItsStreamFields() { // rule 3.8
        Decoded m = single(frame("IPv4,127.0.0.1,4321,7,control,434,example.com", "[1,\"x\"]"));
        assertEquals(new Decoded(MessageType.CONTROL, "", "", "", "", "", "",
                java.util.Base64.getEncoder().encodeToString("[1,\"x\"]".getBytes(StandardCharsets.UTF_8))), m);
    }

    @Test
    void errorBodiesThatAreNotJsonOrAbsentAreKept() { // rule 3.6: peers send these
        assertEquals("boom", single(frame("IPv4,1.2.3.4,5,4,error,443,x", "boom")).bodyText());
        assertEquals("", single(frame("IPv4,1.2.3.4,5,0,error,443,x", "")).body());
    }

    @Test
    void goDialectTrailingCommaAndNewlineIsAccepted() { // §5: Go telebit writes "...,name,\n"
        Decoded m = single(frame("IPv4,1.2.3.4,5555,5,http,80,example.com,\n", "hello"));
        assertEquals(MessageType.DATA, m.type());
        assertEquals("example.com", m.name());
        assertEquals("hello", m.bodyText());
    }

    @Test
    void utf8HeaderIsDecoded() {
        assertEquals("bücher.example", single(frame("IPv4,1.2.3.4,5,1,http,80,bücher.example", "x")).name());
    }

    @Test
    void manyMessagesInOneChunk() {
        byte[] stream = concat(frame("IPv4,1.2.3.4,5,0,connection,80,a,http", ""),
                frame("IPv4,1.2.3.4,5,3,http,80,a", "GET"), frame("IPv4,1.2.3.4,5,0,end,80,a", ""));
        Result r = decode(stream);
        assertNull(r.error());
        assertEquals(3, r.messages().size());
        assertEquals(MessageType.END, r.messages().get(2).type());
    }

    @Test
    void headersLongerThanTheFirstStillDecodeAndRepeat() { // the header arrays grow past their initial 64 bytes
        String name = "a-name-long-enough-to-take-this-header-past-sixty-four-bytes.example.com";
        byte[] stream = concat(frame("IPv4,1.2.3.4,5,1,http,80,a", "x"),
                frame("IPv6,2001:db8::1,65535,3,https,443," + name, "abc"),
                frame("IPv6,2001:db8::1,65535,2,https,443," + name, "de"),
                frame("IPv4,1.2.3.4,5,1,http,80,a", "y"));
        Result r = decode(stream);
        assertNull(r.error());
        assertEquals(4, r.messages().size());
        assertEquals(name, r.messages().get(1).name());
        assertEquals(name, r.messages().get(2).name());
        assertEquals("de", r.messages().get(2).bodyText());
        assertEquals("a", r.messages().get(3).name());
        assertEquals("y", r.messages().get(3).bodyText());
    }

    @Test
    void emptyBodyMessageEndingTheInputIsDeliveredAtOnce() {
        // proxy-packer 1.x delivered it only when the next chunk came (protocol-spec §5, rule 2.8)
        EmbeddedChannel ch = new EmbeddedChannel(new MproxyMessageDecoder());
        assertTrue(ch.writeInbound(Unpooled.wrappedBuffer(frame("IPv4,1.2.3.4,5,0,end,80,a", ""))));
        MproxyMessage end = ch.readInbound();
        assertEquals(MessageType.END, end.type());
        end.release();
        assertFalse(ch.finish());
    }

    @Test
    void aLongBodyIsASliceOfTheInputAndAShortOneACopy() {
        EmbeddedChannel ch = new EmbeddedChannel(new MproxyMessageDecoder());
        String longBody = "x".repeat(16 * 1024 + 1);
        ByteBuf in = Unpooled.wrappedBuffer(frame("IPv4,1.2.3.4,5," + longBody.length() + ",tcp,22,", longBody),
                frame("IPv4,1.2.3.4,5,4,tcp,22,", "abcd"));
        ch.writeInbound(in);
        MproxyMessage slice = ch.readInbound();
        MproxyMessage copy = ch.readInbound();
        assertEquals(longBody, slice.content().toString(StandardCharsets.US_ASCII));
        assertEquals("abcd", copy.content().toString(StandardCharsets.US_ASCII));
        assertEquals(1, in.refCnt(), "the long body's slice holds the input");
        assertTrue(slice.release());
        // a slice would keep the whole input alive for 4 bytes, and the budgets count 4
        assertEquals(0, in.refCnt(), "the short body's copy does not hold the input");
        assertTrue(copy.release());
        assertFalse(ch.finish());
    }

    @Test
    void aShortBodyThatIsMostOfItsReadIsASlice() {
        EmbeddedChannel ch = new EmbeddedChannel(new MproxyMessageDecoder());
        ByteBuf in = Unpooled.wrappedBuffer(frame("IPv4,1.2.3.4,5,100,tcp,22,", "y".repeat(100)));
        ch.writeInbound(in);
        MproxyMessage slice = ch.readInbound();
        assertEquals("y".repeat(100), slice.content().toString(StandardCharsets.US_ASCII));
        assertEquals(1, in.refCnt(), "a slice of the input: it keeps less than four times itself alive");
        assertTrue(slice.release());
        assertEquals(0, in.refCnt());
        assertFalse(ch.finish());
    }

    @ParameterizedTest(name = "rule {1}: {0}")
    @CsvSource(delimiter = '|', value = {
        // header                                  | rule | offset | message
        "'GET / HTTP/1.1'                           | 2.1  | 0  | version byte 0x47 at offset 0 (expected: 0xfe) [M-PROXY rule 2.1]",
        "'IPv4,1.2.3.4,5,2'                         | 2.4  | 2  | header with 4 fields",
        "'IPv4,1.2.3.4'                             | 2.4  | 2  | header with 2 fields \"IPv4,1.2.3.4\" at offset 2 (expected: 5 to 8 comma-separated fields) [M-PROXY rule 2.4]",
        "'a,b,c,1,d,e,f,g,h'                        | 2.4  | 2  | header with 9 fields",
        "'IPv4,1.2.3.4,5,12abc,tcp,22,'             | 2.5  | 17 | datalen \"12abc\" at offset 17 (expected: 1 or more ASCII digits) [M-PROXY rule 2.5]",
        "'IPv4,1.2.3.4,5, 7,tcp,22,'                | 2.5  | 17 | datalen \" 7\"",
        "'IPv4,1.2.3.4,5,-1,tcp,22,'                | 2.5  | 17 | datalen \"-1\"",
        "'IPv4,1.2.3.4,5,,tcp,22,'                  | 2.5  | 17 | datalen \"\"",
        "'IPv4,1.2.3.4,5,1048577,tcp,22,'           | 2.6  | 17 | datalen 1048577 over the maximum body length at offset 17 (expected: at most 1048576) [M-PROXY rule 2.6]",
        "'IPv4,1.2.3.4,5,99999999999999999999999,tcp,22,' | 2.6 | 17 | datalen 99999999999999999999999 over",
        "'IPv4,1.2.3.4,5,0,tcp,22,'                 | 3.3  | 2  | data message (service \"tcp\") with datalen 0 at offset 2 (expected: a body of 1 or more bytes) [M-PROXY rule 3.3]",
        "'IPv4,1.2.3.4\t,5,0,end,22,'               | 2.3  | 14 | control character 0x09 in header at offset 14 (expected: printable UTF-8 text) [M-PROXY rule 2.3]",
        "'IPv4,1.2.3.4,5,0,end,22,\r\n'             | 2.3  | 26 | control character 0x0d",
    })
    void brokenRuleIsReportedWithOffsetAndRule(String header, String rule, long offset, String message) {
        byte[] stream = header.startsWith("GET") ? header.getBytes(StandardCharsets.US_ASCII) : frame(header, "");
        MproxyProtocolException e = Frames.decodeByteByByte(stream).error();
        assertNotNull(e, "expected a violation of rule " + rule);
        assertEquals(rule, e.rule());
        assertEquals(offset, e.offset());
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void invalidUtf8InHeaderIsRule23() {
        byte[] header = "IPv4,1.2.3.4,5,0,end,22,x\u00ff".getBytes(StandardCharsets.ISO_8859_1);
        byte[] stream = concat(new byte[] {(byte) 0xFE, (byte) header.length}, header);
        MproxyProtocolException e = decode(stream).error();
        assertEquals("2.3", e.rule());
        assertEquals(2 + header.length - 1, e.offset());
    }

    @Test
    void invalidUtf8BeforeAControlCharacterIsTheFirstOffence() { // rule 2.3: offset of the first bad byte
        byte[] header = "IPv4,1.2.3.4,5,0,end,\u00ff2,x\t".getBytes(StandardCharsets.ISO_8859_1);
        byte[] stream = concat(new byte[] {(byte) 0xFE, (byte) header.length}, header);
        MproxyProtocolException e = decode(stream).error();
        assertEquals("2.3", e.rule());
        assertEquals(2 + 21, e.offset(), e.getMessage());
        assertTrue(e.getMessage().contains("0xff"), e.getMessage());
    }

    @Test
    void fieldsOfARepeatedHeaderAreReusedButStillCorrect() { // the decoder caches the previous header
        byte[] stream = concat(frame("IPv4,1.2.3.4,5,3,tcp,22,a", "abc"), frame("IPv4,1.2.3.4,5,10,tcp,22,a",
                "0123456789"), frame("IPv4,1.2.3.4,5,3,tcp,22,b", "xyz"), frame("IPv4,1.2.3.4,5,0,end,22,b", ""),
                frame("IPv4,1.2.3.4,5,1,end,22,b", " "), frame("IPv4,1.2.3.4,5,2,tcp,22,b", "ok"));
        Result r = Frames.decodeByteByByte(stream);
        assertNull(r.error());
        assertEquals(List.of("a:tcp:abc", "a:tcp:0123456789", "b:tcp:xyz", "b::", "b::", "b:tcp:ok"),
                r.messages().stream().map(m -> m.name() + ':' + m.service() + ':' + m.bodyText()).toList());
    }

    @Test
    void zeroHeaderLengthIsTooFewFields() {
        MproxyProtocolException e = decode(new byte[] {(byte) 0xFE, 0}).error();
        assertEquals("2.4", e.rule());
        assertEquals(2, e.offset());
    }

    @Test
    void offsetCountsFromTheStartOfTheStreamAcrossMessages() {
        byte[] first = frame("IPv4,1.2.3.4,5,3,tcp,22,", "abc");
        byte[] stream = concat(first, first, new byte[] {(byte) 0xFD, 1});
        Result r = Frames.decodeByteByByte(stream);
        assertEquals(2, r.messages().size());
        assertEquals(2L * first.length, r.error().offset());
        assertTrue(r.error().getMessage().contains("0xfd"));
    }

    @Test
    void oversizedBodyIsRefusedBeforeTheBodyArrives() { // rule 2.6: nothing is buffered for it
        EmbeddedChannel ch = new EmbeddedChannel(new MproxyMessageDecoder(1000));
        byte[] header = frame("IPv4,1.2.3.4,5,1001,tcp,22,", "");
        MproxyProtocolException e = assertThrows(MproxyProtocolException.class,
                () -> ch.writeInbound(Unpooled.wrappedBuffer(header)));
        assertEquals("2.6", e.rule());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void decoderStaysCorruptAfterAViolation() { // no silent resynchronisation
        EmbeddedChannel ch = new EmbeddedChannel(new MproxyMessageDecoder());
        assertThrows(MproxyProtocolException.class,
                () -> ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
        byte[] valid = frame("IPv4,1.2.3.4,5,3,tcp,22,", "abc");
        assertFalse(ch.writeInbound(Unpooled.wrappedBuffer(valid)));
        assertNull(ch.readInbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void streamCutInsideAMessageIsRule27AtEnd() {
        byte[] whole = frame("IPv4,1.2.3.4,5,10,tcp,22,", "0123456789");
        byte[] stream = concat(whole, java.util.Arrays.copyOf(whole, whole.length - 3));
        Result r = decode(stream);
        assertEquals(1, r.messages().size());
        assertEquals("2.7", r.error().rule());
        assertEquals(whole.length, r.error().offset());
        assertTrue(r.error().getMessage().startsWith("stream ends inside a message (7 of 10 body bytes)"),
                r.error().getMessage());
    }

    @Test
    void emptyStreamIsNoMessagesAndNoError() {
        Result r = decode(new byte[0]);
        assertTrue(r.messages().isEmpty());
        assertNull(r.error());
    }
}
