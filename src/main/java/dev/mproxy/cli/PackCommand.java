package dev.mproxy.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.MproxyMessageEncoder;
import dev.mproxy.protocol.StreamAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mproxy pack INPUT.json OUTPUT.bin}: the contract of proxy-packer's {@code node test/pack.js}, byte
 * for byte, for every input the reference packs without corrupting (protocol-spec §7).
 */
@Command(name = "pack",
        description = {
            "Pack a captured payload into one M-PROXY v1 message, as proxy-packer does.",
            "",
            "Byte-identical to proxy-packer's 'node test/pack.js INPUT.json OUTPUT.bin'. INPUT.json holds "
                + "{\"version\":1, \"address\":{\"family\", \"address\", \"port\", \"service\", "
                + "\"serviceport\"}, \"filepath\":\"payload.bin\"}, filepath relative to INPUT.json.",
            "",
            "The stream is named from the payload's TLS SNI, else its HTTP Host header. An empty payload is "
                + "packed as one space, as the reference does. A header the reference would corrupt (over 255 "
                + "bytes, or a field holding a comma or a control character) is refused with exit code 65.",
            ""
        },
        mixinStandardHelpOptions = true)
final class PackCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(index = "0", paramLabel = "INPUT.json", description = "The fixture description.")
    Path input;

    @Parameters(index = "1", paramLabel = "OUTPUT.bin", description = "Where to write the packed message.")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        JsonNode json = readJson(input);
        JsonNode address = json.get("address");
        if (address == null || !address.isContainerNode()) {
            throw CommandException.badInput(input + ": \"address\" must be an object (found: "
                    + (address == null ? "nothing" : address.getNodeType().toString().toLowerCase()) + ')');
        }
        JsonNode filepath = json.get("filepath");
        if (filepath == null || !filepath.isTextual()) {
            throw CommandException.badInput(input + ": \"filepath\" must be a string");
        }
        Path payloadPath = input.toAbsolutePath().getParent().resolve(filepath.textValue());
        byte[] payload = readPayload(payloadPath);

        ByteBuf packed;
        try (Packing packing = new Packing(address, payload)) {
            packed = MproxyMessageEncoder.PADDED.encode(ByteBufAllocator.DEFAULT, packing.message);
        } catch (IllegalArgumentException e) {
            throw CommandException.badInput(input + ": " + e.getMessage(), e);
        }
        int written = packed.readableBytes();
        try (OutputStream out = Files.newOutputStream(output)) {
            packed.readBytes(out, written);
        } finally {
            packed.release();
        }
        spec.commandLine().getOut().println("wrote " + written + " bytes to '" + output + '\'');
        return ExitCodes.OK;
    }

    /** The data message pack.js builds: {@code Packer.pack(address, data)} with the derived name. */
    private static final class Packing implements AutoCloseable {
        final MproxyMessage message;

        Packing(JsonNode address, byte[] payload) {
            StreamAddress stream = new StreamAddress(field(address, "family", false),
                    field(address, "address", false), field(address, "port", false));
            // pack() turns an empty body into one space before sizing it (rule 3.2).
            ByteBuf body = Unpooled.wrappedBuffer(payload.length == 0 ? new byte[] {' '} : payload);
            message = new MproxyMessage(MessageType.DATA, stream, field(address, "service", true),
                    field(address, "serviceport", true), wellFormed(ReferenceNaming.name(payload)), body);
        }

        @Override
        public void close() {
            message.release();
        }
    }

    /** A header field as pack.js writes it: family, address, port by join; service, serviceport by {@code ||}. */
    private static String field(JsonNode address, String key, boolean orEmpty) {
        JsonNode value = address.get(key);
        return wellFormed(orEmpty ? JsValues.orEmpty(value) : JsValues.joined(value));
    }

    /** Node's Buffer.from writes a lone surrogate as U+FFFD; Java would write '?'. */
    private static String wellFormed(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1));
            if (paired) {
                i++;
            } else if (Character.isSurrogate(c)) {
                if (sb == null) {
                    sb = new StringBuilder(s);
                }
                sb.setCharAt(i, '\uFFFD');
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static JsonNode readJson(Path path) throws IOException {
        try {
            return JSON.readTree(Files.readAllBytes(path));
        } catch (NoSuchFileException e) {
            throw CommandException.failure(path + ": no such file");
        } catch (JacksonException e) {
            throw CommandException.badInput(path + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static byte[] readPayload(Path path) throws IOException {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw CommandException.failure(path + ": no such file (named by \"filepath\")");
        }
    }
}
