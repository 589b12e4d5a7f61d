package dev.mproxy.tunnel;

import java.time.Instant;

/**
 * One stream of a tunnel as it was when asked (for the admin API): who it carries, since when, how many bytes each
 * way, and whether either side paused it.
 *
 * @param request     the stream's header: public client, service, port, name
 * @param kind        what it carries
 * @param since       when it was opened
 * @param bytesToPeer bytes sent to the peer (on the gateway: from the public client to the device)
 * @param bytesFromPeer bytes received from the peer
 * @param pausedByPeer the peer holds our sending with {@code pause}
 * @param pausingPeer we hold the peer's sending with {@code pause}
 */
public record StreamSnapshot(StreamRequest request, StreamKind kind, Instant since, long bytesToPeer,
                             long bytesFromPeer, boolean pausedByPeer, boolean pausingPeer) {
}
