package dev.mproxy.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.tunnel.Grant;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The connector's control channel against the messages of this gateway and of telebit's relay (control 2). */
class DeviceControlTest {

    private final List<Grant> grants = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new DeviceControl("the.jwt.token", "wss://gw",
            grants::add));

    @AfterEach
    void finish() {
        channel.finishAndReleaseAll();
    }

    @Test
    void helloIsAnsweredAndTheTokenFollowsInBand() {
        // control 2.2, 2.3: telebit's relay reads the token only at the upgrade or from add_token
        receive("[1,\"hello\",[1],[\"add_token\",\"delete_token\",\"auth\",\"authn\",\"authz\"]]");
        assertEquals("[-1,null]", sent());
        assertEquals("[1000001,\"add_token\",\"the.jwt.token\"]", sent());
        assertNull(channel.readOutbound());
    }

    @Test
    void relaysGrantBeforeHelloIsTaken() {
        // telebit's relay, given the token at the upgrade, grants first and says hello after
        receive("[2,\"grant\",[[\"ssh+https\",\"app.test\",443],[\"ssh\",\"ssh.relay.test\",[21700]],"
                + "[\"tcp\",\"tcp.relay.test\",[21700]],[\"https\",\"app.test\"]]]");
        receive("[1,\"hello\",[1],[\"add_token\"]]");
        assertEquals(List.of(new Grant(List.of(21700), List.of("app.test"), List.of())), grants);
        assertEquals("[-1,null]", sent());
    }

    @Test
    void relaysGrantForATokenWithoutDomainsOrWithStringPortsIsRead() {
        receive("[2,\"grant\",[[\"ssh+https\",null,443],[\"ssh\",\"ssh.relay.test\",[\"2222\"]],"
                + "[\"tcp\",\"tcp.relay.test\",[\"2222\"]],[\"https\",null]]]");
        assertEquals(List.of(new Grant(List.of(2222), List.of(), List.of())), grants);
    }

    /**
     * Control 2.4: a grant's names are names, lowercased, as ports are 1 to 65535; others are skipped. Found by
     * ControlMessageFuzzTest (seed finding-grant-name-not-a-name): "*.pi+example.com" was taken as served.
     */
    @Test
    void grantedNamesThatAreNotNamesAreSkipped() {
        receive("[2,\"grant\",[[\"https\",\"*.pi+example.com\"],[\"https\",\"a\\u202e.example.com\"],"
                + "[\"https\",\"Pi.Example.COM\"],[\"tcp\",\"h\",[0,65536,22]]]]");
        assertEquals(List.of(new Grant(List.of(22), List.of("pi.example.com"), List.of())), grants);
    }

    @Test
    void refusalsBeforeAGrantBelongToIt() {
        // control 2.4
        receive("[0,{\"message\":\"port 80 is outside the gateway's allowed ports\",\"code\":\"E_PORT_NOT_ALLOWED\","
                + "\"port\":80}]");
        receive("[0,{\"message\":\"name too long\",\"code\":\"E_NAME_TOO_LONG\",\"domain\":\"x.example\"}]");
        receive("[0,{\"message\":\"tied to nothing\",\"code\":\"E_OTHER\"}]");
        receive("[2,\"grant\",[[\"https\",\"a.example\"],[\"tcp\",\"gw\",[2222]]]]");
        receive("[2,\"grant\",[[\"tcp\",\"gw\",[2222]]]]");
        assertEquals(2, grants.size());
        assertEquals(List.of(Grant.Refusal.port(80, "E_PORT_NOT_ALLOWED",
                "port 80 is outside the gateway's allowed ports"), Grant.Refusal.domain("x.example",
                "E_NAME_TOO_LONG", "name too long")), grants.get(0).refused());
        assertEquals(List.of("a.example"), grants.get(0).domains());
        assertEquals(List.of(), grants.get(1).refused(), "refusals are not carried to the next grant");
    }

    @Test
    void unknownCommandIsAnsweredAndAnUpgradedTokenIgnored() {
        receive("[3,\"access_token\",{\"jwt\":\"a.b.c\"}]");
        assertNull(channel.readOutbound(), "telebit's device does not answer access_token either");
        receive("[5,\"delete_everything\"]");
        assertEquals("[-5,{\"message\":\"unknown command \\\"delete_everything\\\"\",\"code\":\"E_UNKNOWN_COMMAND\"}]",
                sent());
    }

    private void receive(String json) {
        channel.writeInbound(MproxyMessage.control(Unpooled.copiedBuffer(json, StandardCharsets.UTF_8)));
    }

    private String sent() {
        MproxyMessage m = channel.readOutbound();
        try {
            return ControlMessages.parse(m).toString();
        } finally {
            m.release();
        }
    }
}
