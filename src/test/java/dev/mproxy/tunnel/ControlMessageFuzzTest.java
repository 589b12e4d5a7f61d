package dev.mproxy.tunnel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.mproxy.auth.DomainNames;
import dev.mproxy.protocol.MproxyMessage;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the control channel's reading of a peer's messages (control §2): {@link ControlMessages#parse} of a
 * control body, then what each side makes of the command, as {@code DeviceSession} and {@code DeviceControl}
 * do: the refusal of an error ({@link Grant.Refusal#fromError}) and a grant ({@link Grant#fromTelebit}). For
 * every body:
 * <ul>
 *   <li>parse returns null or an array whose first element is a number (control 2.1), and throws nothing;</li>
 *   <li>a grant is read or refused with {@link IllegalArgumentException} only, and what it grants is valid:
 *       ports 1 to 65535, names as {@link DomainNames} normalizes them;</li>
 *   <li>the message's body is not consumed or released by reading it.</li>
 * </ul>
 */
class ControlMessageFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void read(byte[] body) {
        MproxyMessage message = MproxyMessage.control(Unpooled.wrappedBuffer(body));
        try {
            ArrayNode command = ControlMessages.parse(message);
            assertTrue(message.refCnt() == 1 && message.content().readableBytes() == body.length,
                    "parse consumed or released the body");
            if (command == null) {
                return;
            }
            assertTrue(command.size() > 0 && command.get(0).isNumber(), () -> "parsed " + command);
            JsonNode args = command.path(1);
            if (args.isObject()) {
                Grant.Refusal refusal = Grant.Refusal.fromError(args);
                if (refusal != null && refusal.port() != null) {
                    assertTrue(refusal.toString().length() > 0);
                }
            }
            Grant grant;
            try {
                grant = Grant.fromTelebit(command.path(2), new ArrayList<>(List.of()));
            } catch (IllegalArgumentException e) {
                return;
            }
            for (int port : grant.ports()) {
                assertTrue(port >= 1 && port <= 65535, "port " + port);
            }
            for (String domain : grant.domains()) {
                assertTrue(domain.equals(DomainNames.normalizePattern(domain)), () -> "domain \"" + domain + '"');
            }
        } finally {
            message.release();
        }
    }
}
