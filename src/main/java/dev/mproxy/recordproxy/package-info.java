/**
 * netrecord's recording proxy ({@code mproxy record}): each accepted connection is joined to a new connection
 * to the server by a {@link dev.mproxy.relay.Relay} with a recording tap, one file per connection.
 *
 * @see <a href="../../../../../../protocol-spec/recording.md">protocol-spec/recording.md</a>
 */
package dev.mproxy.recordproxy;
