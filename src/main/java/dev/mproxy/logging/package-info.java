/**
 * Log output: logback behind SLF4J behind Netty's {@code InternalLogger}, configured in code. One line per
 * event, UTC timestamps, a stable component name (the package under {@code dev.mproxy}), {@code key=value}
 * fields; text for terminals and the journal, JSON for log shippers.
 */
package dev.mproxy.logging;
