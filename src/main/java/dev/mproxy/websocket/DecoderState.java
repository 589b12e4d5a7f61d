package dev.mproxy.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Where Netty's frame decoder stands, read through reflection: it keeps its state to itself, and consumes a
 * header's bytes as they come, so an empty buffer alone does not say it is between frames. When Netty's fields are
 * not there (another version) or not open, the answer is no, and the caller leaves the decoder alone:
 * {@code PayloadSlicerTest} then fails, so an upgrade of Netty cannot lose the slicer unnoticed.
 */
final class DecoderState {

    private static final Method INTERNAL_BUFFER = method(ByteToMessageDecoder.class, "internalBuffer");
    private static final Field STATE = field("state");
    private static final Field FRAGMENTS = field("fragmentedFramesCount");
    private static final Field CLOSE_RECEIVED = field("receivedClosingHandshake");

    private DecoderState() {
    }

    /** Whether {@code decoder} holds no bytes, is outside a fragmented message and has not received a close. */
    static boolean betweenFrames(Object decoder) {
        if (!(decoder instanceof WebSocket08FrameDecoder) || INTERNAL_BUFFER == null || STATE == null
                || FRAGMENTS == null || CLOSE_RECEIVED == null) {
            return false;
        }
        try {
            return !((ByteBuf) INTERNAL_BUFFER.invoke(decoder)).isReadable()
                    && "READING_FIRST".equals(String.valueOf(STATE.get(decoder)))
                    && FRAGMENTS.getInt(decoder) == 0
                    && !CLOSE_RECEIVED.getBoolean(decoder);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    private static Method method(Class<?> type, String name) {
        try {
            Method method = type.getDeclaredMethod(name);
            method.setAccessible(true);
            return method;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static Field field(String name) {
        try {
            Field field = WebSocket08FrameDecoder.class.getDeclaredField(name);
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
