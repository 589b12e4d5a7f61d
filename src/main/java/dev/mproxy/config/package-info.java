/**
 * The text of configuration values, as the command line and (next) configuration files write them: {@code HOST:PORT}
 * with IPv6 hosts in brackets, ports, durations such as {@code 15s}, gateway URIs. Each parser throws an
 * {@link java.lang.IllegalArgumentException} whose message quotes the value and says what was expected; the
 * command line's picocli converters ({@code dev.mproxy.cli}) and a file reader both call them, so a value means
 * the same wherever it is written. The typed models they fill live with their consumers
 * ({@code GatewayConfig}, {@code ConnectorConfig}, {@code RelayConfig}, {@code RecordProxyConfig}).
 * A leaf: plain Java, no picocli, no Netty.
 */
package dev.mproxy.config;
