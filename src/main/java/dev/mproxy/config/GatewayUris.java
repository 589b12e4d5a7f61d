package dev.mproxy.config;

import java.net.URI;

/** The gateway a client dials: {@code wss://HOST:PORT}, or {@code ws://HOST:PORT} behind another TLS terminator. */
public final class GatewayUris {

    private GatewayUris() {
    }

    /** {@code gateway} itself when it is a {@code wss} or {@code ws} URI with a host. */
    public static URI check(URI gateway) {
        if (!isSecure(gateway) && !"ws".equalsIgnoreCase(gateway.getScheme()) || gateway.getHost() == null) {
            throw new IllegalArgumentException("gateway " + gateway + " (expected: wss://HOST:PORT or ws://HOST:PORT)");
        }
        return gateway;
    }

    /** Whether {@code gateway} is dialled with TLS ({@code wss}). */
    public static boolean isSecure(URI gateway) {
        return "wss".equalsIgnoreCase(gateway.getScheme());
    }
}
