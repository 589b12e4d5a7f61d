/**
 * TLS for both ends of the tunnel: the gateway's certificate (loaded from PEM files, or generated once with
 * BouncyCastle and kept in the data directory), SHA-256 fingerprints, and Netty {@code SslContext}s for the
 * gateway and for clients that pin a fingerprint, trust given CAs, trust the JDK's store, or trust anything.
 *
 * <p>It uses Netty, BouncyCastle, the JDK and the leaf package {@code dev.mproxy.files} (owner-only files),
 * never another {@code dev.mproxy} package. Contexts use BoringSSL (netty-tcnative,
 * {@link io.netty.handler.ssl.SslProvider#OPENSSL}) when its native library loads on this platform, for its
 * speed, and the JDK's TLS otherwise ({@link dev.mproxy.tls.TlsContexts#PROVIDER}); either way certificates are
 * checked by the same trust managers, and a handshake failure is reported by the cause that names it
 * ({@link dev.mproxy.tls.TlsFailures}).
 *
 * <p>Clients must create their handler with {@link dev.mproxy.tls.ClientTls#newHandler}, which passes the
 * server's host name to the engine; a handler made without it cannot verify the host name.
 */
package dev.mproxy.tls;
