package dev.mproxy.record;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A strict pcapng reader for tests, written from the spec apart from {@link PcapngExporter}: one section in
 * either byte order, Interface Description and Enhanced Packet Blocks, nothing else. Any deviation (a length
 * that does not add up, non-zero padding, an unknown block or a missing end of options) is an
 * {@link IllegalArgumentException}.
 */
final class PcapngFile {

    static final int SHB = 0x0A0D0D0A;
    static final int IDB = 1;
    static final int EPB = 6;

    /** One option: its code and raw value (padding removed). */
    record Option(int code, byte[] value) {
        String text() {
            return new String(value, StandardCharsets.UTF_8);
        }
    }

    record Section(ByteOrder order, int major, int minor, long length, List<Option> options) {
        String option(int code) {
            return PcapngFile.option(options, code);
        }
    }

    record Interface(int linkType, long snapLen, List<Option> options) {
        /** if_tsresol, or 6 (microseconds) when absent, as the spec says. */
        int tsresol() {
            for (Option o : options) {
                if (o.code() == 9) {
                    return o.value()[0];
                }
            }
            return 6;
        }
    }

    /** One EPB: {@code timestamp} in its interface's units, as an unsigned 64-bit value. */
    record Packet(int interfaceId, long timestamp, long originalLength, byte[] data, List<Option> options) {
    }

    final Section section;
    final List<Interface> interfaces = new ArrayList<>();
    final List<Packet> packets = new ArrayList<>();

    private PcapngFile(Section section) {
        this.section = section;
    }

    static PcapngFile read(Path file) throws IOException {
        return parse(Files.readAllBytes(file));
    }

    static PcapngFile parse(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        require(bytes.length >= 28, "file of " + bytes.length + " bytes (expected: a section header first)");
        require(b.getInt(0) == SHB, "first block type 0x" + Integer.toHexString(b.getInt(0))
                + " (expected: section header 0x0a0d0d0a)");
        // the byte-order magic decides how everything else in the section is read
        int magic = b.getInt(8);
        if (magic == 0x1A2B3C4D) {
            b.order(ByteOrder.BIG_ENDIAN);
        } else if (magic == 0x4D3C2B1A) {
            b.order(ByteOrder.LITTLE_ENDIAN);
        } else {
            throw new IllegalArgumentException("byte-order magic 0x" + Integer.toHexString(magic)
                    + " (expected: 0x1a2b3c4d either way round)");
        }
        PcapngFile file = null;
        int pos = 0;
        while (pos < bytes.length) {
            require(bytes.length - pos >= 12, "trailing " + (bytes.length - pos) + " bytes (expected: a block)");
            int type = b.getInt(pos);
            long total = Integer.toUnsignedLong(b.getInt(pos + 4));
            require(total >= 12 && total % 4 == 0 && total <= bytes.length - pos,
                    "block at " + pos + " of length " + total + " (expected: 12+, a multiple of 4, inside the file)");
            int end = pos + (int) total;
            require(b.getInt(end - 4) == (int) total, "block at " + pos + ": trailing length "
                    + Integer.toUnsignedLong(b.getInt(end - 4)) + " (expected: " + total + ")");
            ByteBuffer body = b.duplicate().order(b.order());
            body.limit(end - 4).position(pos + 8);
            if (type == SHB) {
                require(file == null, "second section at " + pos + " (expected: one section)");
                require(body.remaining() >= 16, "section header too short: " + total);
                body.getInt(); // magic, checked above
                int major = Short.toUnsignedInt(body.getShort());
                int minor = Short.toUnsignedInt(body.getShort());
                require(major == 1 && minor == 0, "version " + major + "." + minor + " (expected: 1.0)");
                long length = body.getLong();
                file = new PcapngFile(new Section(b.order(), major, minor, length, options(body)));
            } else if (type == IDB) {
                require(file != null, "interface before section");
                require(body.remaining() >= 8, "interface description too short: " + total);
                int linkType = Short.toUnsignedInt(body.getShort());
                require(body.getShort() == 0, "interface reserved field (expected: 0)");
                long snapLen = Integer.toUnsignedLong(body.getInt());
                file.interfaces.add(new Interface(linkType, snapLen, options(body)));
            } else if (type == EPB) {
                require(file != null, "packet before section");
                require(body.remaining() >= 20, "enhanced packet too short: " + total);
                int interfaceId = body.getInt();
                require(interfaceId >= 0 && interfaceId < file.interfaces.size(),
                        "packet on interface " + interfaceId + " (expected: < " + file.interfaces.size() + ")");
                long timestamp = (Integer.toUnsignedLong(body.getInt()) << 32) | Integer.toUnsignedLong(body.getInt());
                long captured = Integer.toUnsignedLong(body.getInt());
                long original = Integer.toUnsignedLong(body.getInt());
                require(captured <= original, "captured " + captured + " > original " + original);
                require(captured + padding(captured) <= body.remaining(), "packet data of " + captured
                        + " bytes overruns its block");
                byte[] data = new byte[(int) captured];
                body.get(data);
                zeros(body, padding(captured));
                file.packets.add(new Packet(interfaceId, timestamp, original, data, options(body)));
            } else {
                throw new IllegalArgumentException("block type 0x" + Integer.toHexString(type) + " at " + pos
                        + " (expected: section header, interface description or enhanced packet)");
            }
            pos = end;
        }
        return file;
    }

    /** Options up to opt_endofopt, which must end the block; an empty list when the block has none. */
    private static List<Option> options(ByteBuffer body) {
        List<Option> options = new ArrayList<>();
        if (!body.hasRemaining()) {
            return options;
        }
        while (true) {
            require(body.remaining() >= 4, "option header cut short");
            int code = Short.toUnsignedInt(body.getShort());
            int length = Short.toUnsignedInt(body.getShort());
            if (code == 0) {
                require(length == 0, "opt_endofopt of length " + length + " (expected: 0)");
                require(!body.hasRemaining(), body.remaining() + " bytes after opt_endofopt (expected: none)");
                return options;
            }
            require(length + padding(length) <= body.remaining(), "option " + code + " of " + length
                    + " bytes overruns its block");
            byte[] value = new byte[length];
            body.get(value);
            zeros(body, padding(length));
            options.add(new Option(code, value));
        }
    }

    static String option(List<Option> options, int code) {
        String found = null;
        for (Option o : options) {
            if (o.code() == code) {
                require(found == null, "option " + code + " twice (expected: once)");
                found = o.text();
            }
        }
        return found;
    }

    private static int padding(long length) {
        return (int) ((4 - length % 4) % 4);
    }

    private static void zeros(ByteBuffer b, int n) {
        for (int i = 0; i < n; i++) {
            require(b.get() == 0, "non-zero padding");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
