package dev.mproxy.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.MproxyMessageDecoder;
import dev.mproxy.protocol.MproxyProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mproxy unpack [FILE|-]}: decodes an M-PROXY v1 stream and prints one JSON object per message. The
 * input is streamed, so a capture of any size decodes in bounded memory.
 */
@Command(name = "unpack",
        description = {
            "Decode an M-PROXY v1 stream into one JSON object per message per line.",
            "",
            "Keys: type, family, address, port, service, serviceport, name (header fields exactly as on the "
                + "wire, \"\" when absent; for a connection, service is the 8th field) and data (the body in "
                + "base64, \"\" when none).",
            "",
            "On corrupt input the messages before the fault are printed, then one line on stderr names the "
                + "offset and the rule of protocol-spec/m-proxy-v1.md that was broken, and the exit code is 65.",
            ""
        },
        mixinStandardHelpOptions = true)
final class UnpackCommand implements Callable<Integer> {

    private static final JsonFactory JSON = new JsonFactory();
    private static final int READ_SIZE = 64 * 1024;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", defaultValue = "-",
            description = "The stream to decode; '-' or nothing reads standard input.")
    String file;

    @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "1048576",
            description = "Refuse bodies longer than this (default: ${DEFAULT-VALUE}).")
    int maxBody;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        EmbeddedChannel channel = new EmbeddedChannel(new MproxyMessageDecoder(maxBody));
        try (InputStream in = open(file)) {
            byte[] chunk = new byte[READ_SIZE];
            int n;
            while ((n = in.read(chunk)) > 0) {
                ByteBuf buf = channel.alloc().buffer(n).writeBytes(chunk, 0, n);
                decode(channel, out, () -> channel.writeInbound(buf));
            }
            decode(channel, out, channel::finish);
        } catch (MproxyProtocolException e) {
            throw CommandException.badInput(e.getMessage(), e);
        } finally {
            channel.finishAndReleaseAll();
            out.flush();
        }
        return ExitCodes.OK;
    }

    /** Runs one step of the channel, then prints what it decoded, even when the step failed. */
    private static void decode(EmbeddedChannel channel, PrintWriter out, Runnable step) throws IOException {
        try {
            step.run();
        } finally {
            MproxyMessage message;
            while ((message = channel.readInbound()) != null) {
                try {
                    print(message, out);
                } finally {
                    message.release();
                }
            }
        }
    }

    private static void print(MproxyMessage m, Writer out) throws IOException {
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            json.writeStartObject();
            json.writeStringField("type", m.type().displayName());
            json.writeStringField("family", m.address().family());
            json.writeStringField("address", m.address().address());
            json.writeStringField("port", m.address().port());
            json.writeStringField("service", m.type() == MessageType.CONNECTION
                    ? m.service() : m.serviceField());
            json.writeStringField("serviceport", m.servicePort());
            json.writeStringField("name", m.name());
            json.writeStringField("data", Base64.getEncoder().encodeToString(ByteBufUtil.getBytes(m.content())));
            json.writeEndObject();
        }
        out.write('\n');
    }

    private InputStream open(String name) throws IOException {
        if ("-".equals(name)) {
            return new FilterInputStream(System.in) {
                @Override
                public void close() {
                    // standard input belongs to the process, not to this command
                }
            };
        }
        try {
            return Files.newInputStream(Path.of(name));
        } catch (NoSuchFileException e) {
            throw CommandException.failure(name + ": no such file");
        }
    }
}
