/**
 * Bounds against a hostile internet (protocol-spec/limits.md): what each connection, source and tunnel may hold,
 * and the one list of reasons the gateway refuses or closes something ({@link dev.mproxy.guard.Refusal}, counted
 * by {@link dev.mproxy.guard.Refusals}). Remote-supplied text goes to logs only through
 * {@link dev.mproxy.guard.RemoteText}. A leaf: it depends on Netty and the JDK, on nothing else of mproxy.
 *
 * @see <a href="../../../../../../protocol-spec/limits.md">protocol-spec/limits.md</a>
 */
package dev.mproxy.guard;
