/**
 * Recordings of byte streams: the event model every format shares, netrecord's text format and
 * MeshCentral's {@code .mcrec}, readers that tolerate a file cut short, and the pcapng exporter. No Netty
 * types here: the relay taps streams and hands this package plain events, and data as {@code java.nio}
 * buffers, on a writer thread.
 *
 * @see <a href="../../../../../../protocol-spec/recording.md">protocol-spec/recording.md</a>
 */
package dev.mproxy.record;
