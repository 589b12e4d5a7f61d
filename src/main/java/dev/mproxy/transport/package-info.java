/**
 * The one place that picks Netty's transport: NIO, or native epoll (Linux x86_64 and aarch64) when asked for with
 * {@code -Dmproxy.transport=epoll} or {@code auto}. Every event loop group and every channel class
 * of the product and of its tests comes from {@link dev.mproxy.transport.Transport}, so channels always register
 * on loops of their own kind (an epoll channel cannot move to an NIO loop). Also the one way to bind a listener
 * whose failure says where and what for. A leaf: it knows Netty only.
 */
package dev.mproxy.transport;
