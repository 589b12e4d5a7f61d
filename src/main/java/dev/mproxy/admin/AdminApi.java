package dev.mproxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mproxy.auth.RevokedTokens;
import dev.mproxy.gateway.DeviceView;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.rendezvous.RendezvousMetrics;
import dev.mproxy.tunnel.StreamSnapshot;
import dev.mproxy.tunnel.TunnelMeter;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the admin API answers (protocol-spec/admin.md §4, §5), apart from HTTP: each call gives an
 * {@link AdminResponse}. Reads the gateway's read-only views; acts only to disconnect a device and to revoke
 * tokens.
 */
final class AdminApi implements AutoCloseable {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(AdminApi.class);
    static final ObjectMapper JSON = new ObjectMapper();

    private final GatewayServer gateway;
    private final RevokedTokens revoked;
    private final GatewayMetrics metrics;
    private final AdminToken token;
    private final Instant started = Instant.now();

    AdminApi(GatewayServer gateway, RevokedTokens revoked, GatewayMetrics metrics, AdminToken token) {
        this.gateway = gateway;
        this.revoked = revoked;
        this.metrics = metrics;
        this.token = token;
    }

    AdminToken token() {
        return token;
    }

    /** {@code GET /metrics}: Prometheus' text format (admin 3.1). */
    AdminResponse metrics() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        metrics.write(out);
        return new AdminResponse(200, metrics.contentType(), out.toByteArray());
    }

    /** {@code GET /healthz}: the process answers (admin 6.1). */
    AdminResponse health() {
        return AdminResponse.text(200, "ok\n");
    }

    /** {@code GET /readyz}: the device port listens and the gateway is not stopping (admin 6.2). */
    AdminResponse readiness() {
        return gateway.isReady() ? AdminResponse.text(200, "ready\n")
                : AdminResponse.text(503, "not ready: the device port is not listening\n");
    }

    /** {@code GET /api/status} (admin 4.2). */
    AdminResponse status() {
        ObjectNode status = JSON.createObjectNode();
        status.put("ready", gateway.isReady());
        status.put("started", started.toString());
        status.put("uptimeSeconds", Instant.now().getEpochSecond() - started.getEpochSecond());
        status.put("deviceAddress", hostPort(gateway.deviceAddress()));
        status.put("tlsPort", gateway.tlsAddress() == null ? null : gateway.tlsAddress().getPort());
        status.put("httpPort", gateway.httpAddress() == null ? null : gateway.httpAddress().getPort());
        status.put("devices", gateway.devices().size());
        status.set("streamsOpen", JSON.valueToTree(metrics.streamsOpen()));
        status.set("streamsOpened", JSON.valueToTree(metrics.streamsOpened()));
        status.set("bytes", JSON.valueToTree(metrics.bytesTotal()));
        status.set("refusals", JSON.valueToTree(metrics.refusalCounts()));
        status.put("authFailures", metrics.authFailures());
        RendezvousMetrics relay = gateway.rendezvous().metrics();
        ObjectNode rendezvous = status.putObject("rendezvous");
        rendezvous.put("waitingPeers", relay.waitingPeers());
        rendezvous.put("pairs", relay.activePairs());
        rendezvous.put("pairsStarted", relay.pairsStarted());
        rendezvous.put("holdTimeouts", relay.holdTimeouts());
        ObjectNode recording = status.putObject("recording");
        recording.put("enabled", gateway.recorder() != null);
        if (gateway.recorder() != null) {
            recording.put("directory", String.valueOf(gateway.recorder().directory()));
            recording.put("bytes", gateway.recorder().counters().bytesRecorded());
            recording.put("failures", gateway.recorder().counters().failures());
        }
        return AdminResponse.json(200, status);
    }

    /** {@code GET /api/devices}: every connected device, by id (admin 4.3). */
    AdminResponse devices() {
        ArrayNode list = JSON.createArrayNode();
        gateway.devices().stream().sorted(Comparator.comparing(DeviceView::id)).forEach(d -> list.add(device(d)));
        return AdminResponse.json(200, list);
    }

    static ObjectNode device(DeviceView device) {
        TunnelMeter meter = device.meter();
        ObjectNode json = JSON.createObjectNode();
        json.put("id", device.id());
        json.put("address", address(device.address()));
        json.put("since", String.valueOf(device.since()));
        json.set("ports", JSON.valueToTree(device.ports()));
        json.set("names", JSON.valueToTree(device.names()));
        json.set("tokens", JSON.valueToTree(device.tokenIds()));
        json.put("streams", meter.streamsOpen());
        json.put("bytesToDevice", meter.bytesToPeer());
        json.put("bytesFromDevice", meter.bytesFromPeer());
        json.put("pausesByDevice", meter.pausesReceived());
        json.put("pausesByGateway", meter.pausesSent());
        long rtt = meter.lastRoundTripNanos();
        if (rtt < 0) {
            json.putNull("rttMillis");
        } else {
            json.put("rttMillis", rtt / 1e6);
        }
        return json;
    }

    /** {@code GET /api/devices/ID/streams}: its streams now, taken on its tunnel's loop (admin 4.4). */
    Future<AdminResponse> streams(String id, EventExecutor executor) {
        Promise<AdminResponse> answer = executor.newPromise();
        Optional<DeviceView> device = gateway.device(id);
        if (device.isEmpty()) {
            return answer.setSuccess(noDevice(id));
        }
        device.get().streams().addListener(f -> {
            if (!f.isSuccess()) {
                answer.setSuccess(AdminResponse.error(404, "E_NO_DEVICE", "device " + id + " disconnected meanwhile"));
                return;
            }
            ArrayNode list = JSON.createArrayNode();
            @SuppressWarnings("unchecked")
            List<StreamSnapshot> streams = (List<StreamSnapshot>) f.getNow();
            streams.stream().sorted(Comparator.comparing(StreamSnapshot::since)).forEach(s -> {
                ObjectNode json = list.addObject();
                json.put("client", s.request().client().address() + ':' + s.request().client().port());
                json.put("kind", s.kind().label());
                json.put("service", s.request().service());
                json.put("port", s.request().servicePort());
                json.put("name", s.request().name());
                json.put("since", s.since().toString());
                json.put("bytesToDevice", s.bytesToPeer());
                json.put("bytesFromDevice", s.bytesFromPeer());
                json.put("pausedByDevice", s.pausedByPeer());
                json.put("pausedByGateway", s.pausingPeer());
            });
            answer.setSuccess(AdminResponse.json(200, list));
        });
        return answer;
    }

    /** {@code POST /api/devices/ID/disconnect}: closes its tunnel with 1008 (admin 4.5). */
    Future<AdminResponse> disconnect(String id, EventExecutor executor) {
        Promise<AdminResponse> answer = executor.newPromise();
        Optional<DeviceView> device = gateway.device(id);
        if (device.isEmpty()) {
            return answer.setSuccess(noDevice(id));
        }
        logger.info("admin API: disconnecting device {}", id);
        device.get().disconnect("disconnected by the gateway's operator").addListener(f -> {
            ObjectNode json = JSON.createObjectNode();
            json.put("disconnected", id);
            answer.setSuccess(AdminResponse.json(200, json));
        });
        return answer;
    }

    /**
     * {@code POST /api/tokens/revoke} with {@code {"jti": J}} or {@code {"device": ID}}: saved, then live tunnels
     * holding such a token are closed (admin 5.1 to 5.3).
     */
    AdminResponse revoke(byte[] body) {
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (IOException e) {
            return AdminResponse.error(400, "E_BAD_REQUEST", "body is not JSON (expected: {\"jti\": \"...\"} or "
                    + "{\"device\": \"...\"})");
        }
        JsonNode jti = request == null ? null : request.get("jti");
        JsonNode device = request == null ? null : request.get("device");
        if ((jti == null) == (device == null) || (jti != null && !jti.isTextual())
                || (device != null && !device.isTextual())) {
            return AdminResponse.error(400, "E_BAD_REQUEST", "expected exactly one of {\"jti\": \"...\"} or "
                    + "{\"device\": \"...\"}, a string");
        }
        ObjectNode json = JSON.createObjectNode();
        try {
            Instant now = Instant.now();
            if (jti != null) {
                boolean added = revoked.revokeToken(jti.textValue(), now);
                json.put("jti", jti.textValue()).put("alreadyRevoked", !added);
            } else {
                revoked.revokeDevice(device.textValue(), now);
                json.put("device", device.textValue()).put("issuedUpTo", now.toString());
            }
        } catch (IllegalArgumentException e) {
            return AdminResponse.error(400, "E_BAD_REQUEST", e.getMessage());
        } catch (IOException e) {
            logger.warn("admin API: cannot save a revocation: {}", e.getMessage());
            return AdminResponse.error(500, "E_NOT_SAVED", "the revocation could not be saved, so it was not made: "
                    + e.getMessage());
        }
        int closed = gateway.closeRevoked();
        logger.info("admin API: revoked {}; {} live tunnel(s) closed", json, closed);
        json.put("tunnelsClosed", closed);
        return AdminResponse.json(200, json);
    }

    /** {@code GET /api/tokens/revoked} (admin 5.4). */
    AdminResponse revokedTokens() {
        return AdminResponse.json(200, revoked.toJson());
    }

    private static AdminResponse noDevice(String id) {
        return AdminResponse.error(404, "E_NO_DEVICE", "no device " + id + " is connected (see GET /api/devices)");
    }

    static String address(SocketAddress address) {
        return address instanceof InetSocketAddress ? hostPort((InetSocketAddress) address) : String.valueOf(address);
    }

    private static String hostPort(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.indexOf(':') >= 0 ? '[' + host + ']' : host) + ':' + address.getPort();
    }

    @Override
    public void close() {
    }
}
