package dev.mproxy.tunnel;

import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.internal.ObjectUtil;

/**
 * The numbers that bound a tunnel's memory (protocol-spec/streams.md §4). Per stream, the bytes a side
 * buffers for a slow socket are at most {@code streamWaterMark.high()} plus what the peer sends during one
 * pause round trip; a peer that keeps sending past {@link #pauseIgnoredLimit()} loses the stream.
 */
public final class TunnelLimits {

    /**
     * Defaults: 64 KiB / 256 KiB stream water marks, 64 MiB hard cap, 1024 streams per tunnel. The cap must
     * exceed what is legitimately in flight during one pause round trip, and that includes the kernel's TCP
     * buffers on the tunnel's path, which Linux autotunes up to tcp_rmem's maximum (32 MiB on Debian 12) plus
     * tcp_wmem's (4 MiB): an 8 MiB cap reset healthy fast streams in bench/run-tunnel.sh.
     */
    public static final TunnelLimits DEFAULT = new TunnelLimits(
            new WriteBufferWaterMark(64 * 1024, 256 * 1024), 64 * 1024 * 1024, 1024);

    private final WriteBufferWaterMark streamWaterMark;
    private final long pauseIgnoredLimit;
    private final int maxStreams;

    public TunnelLimits(WriteBufferWaterMark streamWaterMark, long pauseIgnoredLimit, int maxStreams) {
        this.streamWaterMark = ObjectUtil.checkNotNull(streamWaterMark, "streamWaterMark");
        this.pauseIgnoredLimit = ObjectUtil.checkPositive(pauseIgnoredLimit, "pauseIgnoredLimit");
        this.maxStreams = ObjectUtil.checkPositive(maxStreams, "maxStreams");
        if (pauseIgnoredLimit <= streamWaterMark.high()) {
            throw new IllegalArgumentException("pauseIgnoredLimit (" + pauseIgnoredLimit
                    + ") must exceed the stream high water mark (" + streamWaterMark.high() + ')');
        }
    }

    /** These limits with {@code maxStreams} live streams per tunnel instead. */
    public TunnelLimits withMaxStreams(int maxStreams) {
        return new TunnelLimits(streamWaterMark, pauseIgnoredLimit, maxStreams);
    }

    /** Write-buffer water marks of each stream's socket: over high, the peer is paused; under low, resumed. */
    public WriteBufferWaterMark streamWaterMark() {
        return streamWaterMark;
    }

    /** Bytes buffered for one stream's socket past which the peer is taken to ignore {@code pause}. */
    public long pauseIgnoredLimit() {
        return pauseIgnoredLimit;
    }

    /** Live streams one tunnel may carry; a new one past this is refused. */
    public int maxStreams() {
        return maxStreams;
    }

    @Override
    public String toString() {
        return "TunnelLimits(streamWaterMark: " + streamWaterMark + ", pauseIgnoredLimit: " + pauseIgnoredLimit
                + ", maxStreams: " + maxStreams + ')';
    }
}
