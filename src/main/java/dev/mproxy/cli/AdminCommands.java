package dev.mproxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The commands that call a running gateway's admin API (protocol-spec/admin.md §4, §5). */
final class AdminCommands {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AdminCommands() {
    }

    /** {@code mproxy status}. */
    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show a running gateway's state: devices, streams, bytes, refusals (its admin API: the "
                + "gateway must run with --admin).")
    static final class Status implements Callable<Integer> {
        @Mixin
        AdminClient admin;

        @Option(names = "--json", description = "Print the API's JSON as it is.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            JsonNode status = admin.get("/api/status");
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(status.toPrettyString());
            } else {
                out.println("ready: " + status.path("ready").asBoolean() + ", up " + status.path("uptimeSeconds")
                        .asLong() + " s, devices on " + status.path("deviceAddress").asText());
                out.println("devices: " + status.path("devices").asInt());
                out.println("streams open: " + counts(status.path("streamsOpen")) + "; opened: "
                        + counts(status.path("streamsOpened")));
                out.println("bytes: to devices " + status.path("bytes").path("to_device").asLong() + ", from devices "
                        + status.path("bytes").path("from_device").asLong());
                out.println("refusals: " + counts(status.path("refusals")) + "; failed authentications: "
                        + status.path("authFailures").asLong());
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** {@code mproxy devices}. */
    @Command(name = "devices", mixinStandardHelpOptions = true,
            description = "List the devices connected to a running gateway (its admin API: the gateway must run "
                + "with --admin).")
    static final class Devices implements Callable<Integer> {
        @Mixin
        AdminClient admin;

        @Option(names = "--json", description = "Print the API's JSON as it is.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            JsonNode devices = admin.get("/api/devices");
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(devices.toPrettyString());
            } else if (devices.isEmpty()) {
                out.println("no devices connected");
            } else {
                out.printf("%-24s %-22s %-20s %-24s %7s %14s %14s %8s%n", "DEVICE", "ADDRESS", "SINCE", "PORTS / NAMES",
                        "STREAMS", "BYTES IN", "BYTES OUT", "RTT ms");
                for (JsonNode d : devices) {
                    String served = join(d.path("ports")) + (d.path("names").isEmpty() ? "" : " " + join(d.path("names")));
                    out.printf("%-24s %-22s %-20s %-24s %7d %14d %14d %8s%n", d.path("id").asText(),
                            d.path("address").asText(), d.path("since").asText().replaceFirst("\\.\\d+Z$", "Z"),
                            served.isBlank() ? "-" : served.strip(), d.path("streams").asLong(),
                            d.path("bytesToDevice").asLong(), d.path("bytesFromDevice").asLong(),
                            d.path("rttMillis").isNull() ? "-" : String.format("%.1f", d.path("rttMillis").asDouble()));
                }
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** {@code mproxy disconnect ID}. */
    @Command(name = "disconnect", mixinStandardHelpOptions = true,
            description = {"Close a connected device's tunnel (WebSocket status 1008); its streams are reset.",
                "It may connect again: to keep it out, revoke its tokens ('mproxy token revoke --device ID')."})
    static final class Disconnect implements Callable<Integer> {
        @Mixin
        AdminClient admin;

        @Parameters(paramLabel = "ID", description = "The device id.")
        String device;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            admin.post("/api/devices/" + AdminClient.segment(device) + "/disconnect", null);
            spec.commandLine().getOut().println("disconnected " + device);
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }

    /** {@code mproxy token revoke --jti J | --device ID}. */
    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = {"Revoke device tokens on a running gateway: one by its jti, or every token of a device "
                + "issued until now (tokens minted for it later are good). Saved in the gateway's data dir "
                + "(revoked-tokens.json); live tunnels holding such a token are closed at once."})
    static final class Revoke implements Callable<Integer> {
        @Mixin
        AdminClient admin;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Which which;

        static final class Which {
            @Option(names = "--jti", paramLabel = "JTI", description = "The token's jti claim (see 'mproxy devices --json').")
            String jti;

            @Option(names = "--device", paramLabel = "ID", description = "Every token of this device issued until now.")
            String device;
        }

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            ObjectNode body = JSON.createObjectNode();
            if (which.jti != null) {
                body.put("jti", which.jti);
            } else {
                body.put("device", which.device);
            }
            JsonNode answer = admin.post("/api/tokens/revoke", body);
            PrintWriter out = spec.commandLine().getOut();
            out.println("revoked " + (which.jti != null ? "token " + which.jti
                    + (answer.path("alreadyRevoked").asBoolean() ? " (it was already)" : "")
                    : "the tokens of device " + which.device + " issued up to " + answer.path("issuedUpTo").asText())
                    + "; live tunnels closed: " + answer.path("tunnelsClosed").asInt());
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** {@code "tcp 1, tls 0"} from {@code {"tcp": 1, "tls": 0}}, leaving out zeros but for an all-zero map. */
    private static String counts(JsonNode map) {
        StringBuilder s = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().asLong() != 0) {
                s.append(s.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue().asLong());
            }
        }
        return s.length() == 0 ? "none" : s.toString();
    }

    private static String join(JsonNode array) {
        StringBuilder s = new StringBuilder();
        for (JsonNode v : array) {
            s.append(s.length() == 0 ? "" : ",").append(v.asText());
        }
        return s.toString();
    }
}
