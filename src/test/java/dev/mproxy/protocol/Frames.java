package dev.mproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Builds raw M-PROXY bytes and decodes them through a real decoder with any split of the input. */
final class Frames {

    private Frames() {
    }

    /** {@code 0xFE}, the header length byte, the header text, then the body: no checks, for bad input too. */
    static byte[] frame(String header, byte[] body) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xFE);
        out.write(h.length);
        out.writeBytes(h);
        out.writeBytes(body);
        return out.toByteArray();
    }

    static byte[] frame(String header, String body) {
        return frame(header, body.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** A decoded message as comparable values; the body is base64, as {@code unpack} prints it. */
    record Decoded(MessageType type, String family, String address, String port, String service,
                   String servicePort, String name, String body) {

        static Decoded of(MproxyMessage m) {
            return new Decoded(m.type(), m.address().family(), m.address().address(), m.address().port(),
                    m.service(), m.servicePort(), m.name(),
                    Base64.getEncoder().encodeToString(ByteBufUtil.getBytes(m.content())));
        }

        String bodyText() {
            return new String(Base64.getDecoder().decode(body), StandardCharsets.UTF_8);
        }
    }

    /** What a decoder produced for a whole stream: the messages, then the error that stopped it, if any. */
    record Result(List<Decoded> messages, MproxyProtocolException error) {
    }

    /** Decodes {@code stream} fed in pieces that end at each of {@code cuts} (ascending), then at the end. */
    static Result decode(byte[] stream, int... cuts) {
        return decode(new MproxyMessageDecoder(), stream, cuts);
    }

    static Result decode(MproxyMessageDecoder decoder, byte[] stream, int... cuts) {
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        List<Decoded> messages = new ArrayList<>();
        MproxyProtocolException error = null;
        try {
            int from = 0;
            for (int i = 0; i <= cuts.length && error == null; i++) {
                int to = i < cuts.length ? cuts[i] : stream.length;
                if (to > from || i == cuts.length) {
                    try {
                        if (to > from) {
                            channel.writeInbound(Unpooled.copiedBuffer(stream, from, to - from));
                        }
                        if (i == cuts.length) {
                            channel.finish();
                        }
                    } catch (MproxyProtocolException e) {
                        error = e;
                    }
                    drain(channel, messages);
                }
                from = to;
            }
        } finally {
            channel.finishAndReleaseAll();
        }
        return new Result(messages, error);
    }

    /** Decodes one byte at a time. */
    static Result decodeByteByByte(byte[] stream) {
        int[] cuts = new int[Math.max(0, stream.length - 1)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        return decode(stream, cuts);
    }

    /** Decodes one complete message that must decode without error. */
    static Decoded single(byte[] stream) {
        Result result = decode(stream);
        if (result.error() != null) {
            throw result.error();
        }
        if (result.messages().size() != 1) {
            throw new AssertionError("expected one message, got " + result.messages());
        }
        return result.messages().get(0);
    }

    private static void drain(EmbeddedChannel channel, List<Decoded> into) {
        MproxyMessage m;
        while ((m = channel.readInbound()) != null) {
            try {
                assertNotNull(m.content());
                into.add(Decoded.of(m));
            } finally {
                m.release();
            }
        }
    }
}
