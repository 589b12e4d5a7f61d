package dev.mproxy.cli;

import dev.mproxy.record.RecordingFormat;
import dev.mproxy.recordproxy.RecordProxy;
import dev.mproxy.recordproxy.RecordProxyConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mproxy record}: netrecord's recording proxy, with netrecord's usage. */
@Command(name = "record", mixinStandardHelpOptions = true,
        description = {
            "Record TCP connections: listen on PROXY_PORT, forward each connection to SERVER_HOST:SERVER_PORT, "
                + "and record it to LOG_ROOT_1, LOG_ROOT_2, ... in accept order (netrecord's usage and format).",
            "",
            "Each recording holds both directions with timestamps counted from the proxy's start, each side's "
                + "end (hup) or failure (err), and is written as the bytes go through: a crash loses at most the "
                + "last record. Bytes are forwarded only once recorded; a recording that cannot be written closes "
                + "its connection. Read recordings with 'mproxy inspect'.",
            ""
        })
final class RecordCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LoggingOptions logging;

    @Parameters(index = "0", paramLabel = "SERVER_HOST", description = "Host to forward connections to.")
    String serverHost;

    @Parameters(index = "1", paramLabel = "SERVER_PORT", converter = Converters.Port.class,
            description = "Port to forward connections to.")
    int serverPort;

    @Parameters(index = "2", paramLabel = "PROXY_PORT", converter = Converters.Port.class,
            description = "Port to listen on.")
    int proxyPort;

    @Parameters(index = "3", paramLabel = "LOG_ROOT",
            description = "Recordings go to LOG_ROOT_n (mcrec: LOG_ROOT_n.mcrec); LOG_ROOT_1 must not exist yet.")
    String logRoot;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "netrecord", converter = Converters.Format.class,
            description = "netrecord (text records, as netrecord writes them) or mcrec (MeshCentral's recording "
                + "format) (default: ${DEFAULT-VALUE}).")
    RecordingFormat format;

    @Option(names = "--no-record",
            description = "Forward only, recording nothing: the same relay without its recording, to measure "
                + "what recording costs.")
    boolean noRecord;

    @Option(names = "--bind", paramLabel = "HOST", defaultValue = "0.0.0.0",
            description = "Address to listen on; netrecord listens on all of them (default: ${DEFAULT-VALUE}).")
    String bind;

    @Override
    public Integer call() throws Exception {
        logging.apply();
        InetSocketAddress server;
        try {
            server = new InetSocketAddress(InetAddress.getByName(serverHost), serverPort);
        } catch (UnknownHostException e) {
            throw CommandException.failure("cannot resolve SERVER_HOST " + serverHost + ": " + e.getMessage());
        }
        RecordProxyConfig config = RecordProxyConfig.newBuilder()
                .listen(new InetSocketAddress(bind, proxyPort))
                .server(server)
                .logRoot(logRoot)
                .format(format)
                .recording(!noRecord)
                .build();
        try (RecordProxy proxy = new RecordProxy(config)) {
            try {
                proxy.start();
            } catch (IOException e) { // a BindException names the address
                throw CommandException.failure(e.getMessage());
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("mproxy record: " + bind + ':' + proxy.address().getPort() + " -> "
                    + server.getHostString() + ':' + serverPort + (noRecord ? ", not recording"
                    : ", recording to " + logRoot + "_N (" + format.word() + ')'));
            out.flush();
            Running.untilStopped();
        }
        return ExitCodes.OK;
    }
}
