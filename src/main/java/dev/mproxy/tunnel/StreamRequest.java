package dev.mproxy.tunnel;

import dev.mproxy.protocol.StreamAddress;

/**
 * What a {@code connection} message asks for: the public client, the service ({@code tcp}, {@code https},
 * {@code http}), the public port it reached and the name it asked for.
 */
public record StreamRequest(StreamAddress client, String service, String servicePort, String name) {

    @Override
    public String toString() {
        return client + " -> " + service + ':' + servicePort + (name.isEmpty() ? "" : " (" + name + ')');
    }
}
