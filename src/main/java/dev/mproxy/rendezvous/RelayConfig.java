package dev.mproxy.rendezvous;

import static java.util.Objects.requireNonNull;

import dev.mproxy.config.GatewayUris;
import dev.mproxy.tls.ClientTls;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * What {@code mproxy relay} runs on: the gateway, the relay id, the token and trust, what the pair is bridged to,
 * and how many sessions run at once, as typed values filled by the command line (or a configuration file) through
 * {@link #newBuilder()}. Immutable; checked once, by {@link Builder#build()}, whose errors name the option.
 */
public final class RelayConfig {

    /** Sessions at once ({@code --sessions}): one pair, as MeshCentral's relay has. */
    public static final int DEFAULT_SESSIONS = 1;

    /** What each paired session is bridged to. */
    public enum Mode {
        /** Each connection accepted on {@link #address()} ({@code --listen}). */
        LISTEN,
        /** A new connection to the local service at {@link #address()} ({@code --connect}). */
        CONNECT,
        /** This process's stdin and stdout, one session ({@code --stdio}). */
        STDIO
    }

    private final URI gateway;
    private final String id;
    private final String token;
    private final ClientTls tls;
    private final Mode mode;
    private final InetSocketAddress address;
    private final int sessions;

    private RelayConfig(Builder b) {
        gateway = b.gateway;
        id = b.id;
        token = b.token;
        tls = b.tls;
        mode = b.mode;
        address = b.address;
        sessions = b.sessions;
    }

    public static Builder newBuilder() {
        return new Builder();
    }

    /** A builder holding this config's values, to change some of them. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The gateway ({@code --gateway}): {@code wss://HOST:PORT} or {@code ws://HOST:PORT}. */
    public URI gateway() {
        return gateway;
    }

    /** The relay id of session 1 ({@code --id}, rendezvous 1.2). */
    public String id() {
        return id;
    }

    /** The device token ({@code --token}, {@code --token-file}); null to join unauthenticated. */
    public String token() {
        return token;
    }

    /** How to trust a {@code wss} gateway; null for {@code ws}. */
    public ClientTls tls() {
        return tls;
    }

    public Mode mode() {
        return mode;
    }

    /** Where to listen ({@link Mode#LISTEN}) or the local service ({@link Mode#CONNECT}); null for stdio. */
    public InetSocketAddress address() {
        return address;
    }

    /** Sessions at once, 1 to {@value RendezvousClient#MAX_SESSIONS} ({@code --sessions}, rendezvous 6.5). */
    public int sessions() {
        return sessions;
    }

    /** A client joining {@link #id()} at {@link #gateway()}, not yet listening or connecting. */
    public RendezvousClient newClient() {
        return new RendezvousClient(new RendezvousDialer(gateway, token, tls), id, sessions);
    }

    @Override
    public String toString() {
        return "RelayConfig(gateway: " + gateway + ", id: " + id + ", token: " + (token == null ? "none" : "(hidden)")
                + ", tls: " + tls + ", mode: " + mode + (address == null ? "" : " " + address) + ", sessions: "
                + sessions + ')';
    }

    /** Collects a {@link RelayConfig}: the gateway, the id and the mode have no default. */
    public static final class Builder {

        private URI gateway;
        private String id;
        private String token;
        private ClientTls tls;
        private Mode mode;
        private InetSocketAddress address;
        private int sessions = DEFAULT_SESSIONS;

        private Builder() {
        }

        private Builder(RelayConfig c) {
            gateway = c.gateway;
            id = c.id;
            token = c.token;
            tls = c.tls;
            mode = c.mode;
            address = c.address;
            sessions = c.sessions;
        }

        public Builder gateway(URI gateway) {
            this.gateway = requireNonNull(gateway, "gateway");
            return this;
        }

        public Builder id(String id) {
            this.id = requireNonNull(id, "id");
            return this;
        }

        /** The device token; null joins unauthenticated. Default: null. */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /** How to trust a {@code wss} gateway; null for {@code ws}. Default: null. */
        public Builder tls(ClientTls tls) {
            this.tls = tls;
            return this;
        }

        /** Accept connections on {@code address}; each joins the relay. */
        public Builder listen(InetSocketAddress address) {
            return mode(Mode.LISTEN, requireNonNull(address, "address"));
        }

        /** Connect each pair to the local service at {@code address}. */
        public Builder connect(InetSocketAddress address) {
            return mode(Mode.CONNECT, requireNonNull(address, "address"));
        }

        /** Bridge one pair to stdin and stdout. */
        public Builder stdio() {
            return mode(Mode.STDIO, null);
        }

        private Builder mode(Mode mode, InetSocketAddress address) {
            this.mode = mode;
            this.address = address;
            return this;
        }

        public Builder sessions(int sessions) {
            this.sessions = sessions;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the option when a value is not usable or two disagree
         * @throws NullPointerException     when the gateway, the id or the mode is missing
         */
        public RelayConfig build() {
            requireNonNull(gateway, "gateway");
            requireNonNull(id, "id");
            requireNonNull(mode, "mode");
            try {
                GatewayUris.check(gateway);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--gateway: " + e.getMessage(), e);
            }
            if (GatewayUris.isSecure(gateway) && tls == null) {
                throw new IllegalArgumentException("--gateway " + gateway + " (wss) needs a TLS trust setting");
            }
            try {
                RendezvousId.check(id);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--id: " + e.getMessage(), e);
            }
            if (mode == Mode.STDIO && sessions != 1) {
                throw new IllegalArgumentException("--sessions goes with --listen or --connect (--stdio is one "
                        + "session)");
            }
            if (sessions < 1 || sessions > RendezvousClient.MAX_SESSIONS) {
                throw new IllegalArgumentException("--sessions: " + sessions + " (expected: 1 to "
                        + RendezvousClient.MAX_SESSIONS + ')');
            }
            try {
                RendezvousId.check(RendezvousClient.sessionId(id, sessions));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--id with --sessions " + sessions + ": " + e.getMessage(), e);
            }
            return new RelayConfig(this);
        }
    }
}
