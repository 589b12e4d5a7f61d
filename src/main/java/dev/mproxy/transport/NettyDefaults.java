package dev.mproxy.transport;

/**
 * Netty settings that mproxy's processes run with unless the user sets them ({@code -D} on the command line or
 * {@code MPROXY_JAVA_OPTS}). They must be in place before Netty's buffer classes load: {@link #apply()} is the
 * first thing {@code main} does.
 */
public final class NettyDefaults {

    /**
     * Netty takes a heap of 512 MiB or less for a small machine and then pools no buffer over 16,896 bytes: each
     * such buffer (a TLS record, a 64 KiB read, a frame of a 64 KiB response) becomes a new zeroed direct
     * allocation with a {@code Cleaner}, freed at release. The launcher's heap is 128 MiB, so this was every
     * large buffer: zeroing alone was 7 % of the gateway's CPU samples at 64 KiB responses
     * ({@code perf record}, bench/README.md "Where a request's time goes"). Direct memory stays bounded by
     * {@code -XX:MaxDirectMemorySize}.
     */
    static final String LOW_MEMORY = "io.netty.allocator.lowMemory";

    private NettyDefaults() {
    }

    /** Sets each default the user did not set. */
    public static void apply() {
        if (System.getProperty(LOW_MEMORY) == null) {
            System.setProperty(LOW_MEMORY, "false");
        }
    }
}
