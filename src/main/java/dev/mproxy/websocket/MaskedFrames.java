package dev.mproxy.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes a client's binary WebSocket frame, masked as RFC 6455 §5.3 requires, eight bytes per step over each
 * of the payload's memory regions. Netty's encoder masks through {@code ByteBuf.getLong}, which checks the
 * buffer's reference count on every call: that loop was where the device's CPU went when it sent
 * (bench/run-tunnel.sh, the reverse direction ran at half the forward one). Between direct buffers the loop
 * reads and writes memory by address, in the machine's byte order: half the time of {@link ByteBuffer}'s
 * checked big-endian access (7.5-9.2 against 13.1-15.6 µs per 64 KiB frame, bench/MaskCost.java), which was
 * still the connector's top Java frame at 64 KiB responses.
 */
final class MaskedFrames {

    private static final int FIN_BINARY = 0x80 | 0x2;
    private static final int MASK_BIT = 0x80;

    private MaskedFrames() {
    }

    /** A FIN binary frame carrying {@code payload} masked with {@code mask}; {@code payload} is not changed. */
    static ByteBuf binary(ByteBufAllocator alloc, ByteBuf payload, int mask) {
        int length = payload.readableBytes();
        ByteBuf frame = header(alloc, length, mask, length);
        mask(payload, frame.nioBuffer(frame.writerIndex(), length), mask);
        frame.writerIndex(frame.writerIndex() + length);
        return frame;
    }

    /** Writes all of {@code payload} masked with {@code mask} into {@code out}, from its first byte. */
    private static void mask(ByteBuf payload, ByteBuffer out, int mask) {
        out.order(ByteOrder.BIG_ENDIAN);
        int at = 0;
        for (ByteBuffer in : payload.nioBuffers(payload.readerIndex(), payload.readableBytes())) {
            at = xor(in.order(ByteOrder.BIG_ENDIAN), out, at, mask);
        }
    }

    /**
     * {@code payload} masked with {@code mask} from its first byte, in a new buffer; {@code payload} is not changed.
     * Masking twice with one key gives the bytes back: this also unmasks.
     */
    static ByteBuf masked(ByteBufAllocator alloc, ByteBuf payload, int mask) {
        int length = payload.readableBytes();
        ByteBuf out = alloc.directBuffer(length);
        try {
            mask(payload, out.nioBuffer(0, length), mask);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        return out.writerIndex(length);
    }

    /**
     * The header of a FIN binary frame of {@code length} bytes masked with the key 0, which leaves the payload as
     * it is: the payload follows the header unchanged and uncopied.
     */
    static ByteBuf zeroKeyHeader(ByteBufAllocator alloc, int length) {
        return header(alloc, length, 0, 0);
    }

    /** A frame's header, with room for {@code room} more bytes. */
    private static ByteBuf header(ByteBufAllocator alloc, int length, int mask, int room) {
        int headerLength = 2 + (length <= 125 ? 0 : length <= 0xFFFF ? 2 : 8) + 4;
        ByteBuf frame = alloc.directBuffer(headerLength + room);
        frame.writeByte(FIN_BINARY);
        if (length <= 125) {
            frame.writeByte(MASK_BIT | length);
        } else if (length <= 0xFFFF) {
            frame.writeByte(MASK_BIT | 126).writeShort(length);
        } else {
            frame.writeByte(MASK_BIT | 127).writeLong(length);
        }
        return frame.writeInt(mask);
    }

    /** Masks all of {@code in} into {@code out} from {@code at}, the payload offset; returns the offset after. */
    private static int xor(ByteBuffer in, ByteBuffer out, int at, int mask) {
        int from = in.position();
        int n = in.remaining();
        int rotated = Integer.rotateLeft(mask, 8 * (at & 3)); // mask byte (at % 4) comes first
        long wide = (rotated & 0xFFFFFFFFL) << 32 | rotated & 0xFFFFFFFFL;
        int i = 0;
        if (in.isDirect() && out.isDirect() && PlatformDependent.hasUnsafe()) {
            long src = PlatformDependent.directBufferAddress(in) + from;
            long dst = PlatformDependent.directBufferAddress(out) + at;
            long nativeWide = PlatformDependent.BIG_ENDIAN_NATIVE_ORDER ? wide : Long.reverseBytes(wide);
            for (; i + 8 <= n; i += 8) {
                PlatformDependent.putLong(dst + i, PlatformDependent.getLong(src + i) ^ nativeWide);
            }
        }
        for (; i + 8 <= n; i += 8) {
            out.putLong(at + i, in.getLong(from + i) ^ wide);
        }
        for (; i < n; i++) {
            out.put(at + i, (byte) (in.get(from + i) ^ rotated >>> 8 * (3 - (i & 3))));
        }
        return at + n;
    }
}
