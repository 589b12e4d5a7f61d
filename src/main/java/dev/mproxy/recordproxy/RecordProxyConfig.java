package dev.mproxy.recordproxy;

import static java.util.Objects.requireNonNull;

import dev.mproxy.record.RecordingFormat;
import java.net.InetSocketAddress;

/**
 * Everything a {@link RecordProxy} runs on: {@code mproxy record}'s arguments and options as typed values, filled by
 * the command line (or a configuration file) through {@link #newBuilder()}. Immutable; checked once, by
 * {@link Builder#build()}.
 */
public final class RecordProxyConfig {

    /** The host the proxy listens on ({@code --bind}): every interface, as netrecord does. */
    public static final String DEFAULT_BIND_HOST = "0.0.0.0";
    /** How connections are recorded ({@code --format}): netrecord's own format, so its scripts keep working. */
    public static final RecordingFormat DEFAULT_FORMAT = RecordingFormat.NETRECORD;

    private final InetSocketAddress listen;
    private final InetSocketAddress server;
    private final String logRoot;
    private final RecordingFormat format;
    private final boolean recording;

    private RecordProxyConfig(Builder b) {
        listen = b.listen;
        server = b.server;
        logRoot = b.logRoot;
        format = b.format;
        recording = b.recording;
    }

    public static Builder newBuilder() {
        return new Builder();
    }

    /** A builder holding this config's values, to change some of them. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Where clients connect ({@code --bind} and {@code PROXY_PORT}); port 0 picks a free one. */
    public InetSocketAddress listen() {
        return listen;
    }

    /** Where each connection is forwarded ({@code SERVER_HOST}, {@code SERVER_PORT}). */
    public InetSocketAddress server() {
        return server;
    }

    /** Recordings go to {@code LOG_ROOT_n}, plus the format's extension ({@code LOG_ROOT}). */
    public String logRoot() {
        return logRoot;
    }

    /** How connections are recorded ({@code --format}). */
    public RecordingFormat format() {
        return format;
    }

    /** False to forward only ({@code --no-record}): the same relay without its recording. */
    public boolean recording() {
        return recording;
    }

    @Override
    public String toString() {
        return "RecordProxyConfig(listen: " + listen + ", server: " + server + ", logRoot: " + logRoot + ", format: "
                + format.word() + ", recording: " + recording + ')';
    }

    /** Collects a {@link RecordProxyConfig}: the listen address, the server and the log root have no default. */
    public static final class Builder {

        private InetSocketAddress listen;
        private InetSocketAddress server;
        private String logRoot;
        private RecordingFormat format = DEFAULT_FORMAT;
        private boolean recording = true;

        private Builder() {
        }

        private Builder(RecordProxyConfig c) {
            listen = c.listen;
            server = c.server;
            logRoot = c.logRoot;
            format = c.format;
            recording = c.recording;
        }

        public Builder listen(InetSocketAddress listen) {
            this.listen = requireNonNull(listen, "listen");
            return this;
        }

        /** Where connections go: resolved once, before the proxy starts. */
        public Builder server(InetSocketAddress server) {
            this.server = requireNonNull(server, "server");
            return this;
        }

        public Builder logRoot(String logRoot) {
            this.logRoot = requireNonNull(logRoot, "logRoot");
            return this;
        }

        public Builder format(RecordingFormat format) {
            this.format = requireNonNull(format, "format");
            return this;
        }

        public Builder recording(boolean recording) {
            this.recording = recording;
            return this;
        }

        /** @throws NullPointerException when the listen address, the server or the log root is missing */
        public RecordProxyConfig build() {
            requireNonNull(listen, "listen");
            requireNonNull(server, "server");
            requireNonNull(logRoot, "logRoot");
            return new RecordProxyConfig(this);
        }
    }
}
