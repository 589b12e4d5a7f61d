package dev.mproxy.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a token grants, validated on construction. */
class DeviceTokenTest {

    private static String refusal(String device, List<Integer> ports, List<String> domains) {
        return assertThrows(IllegalArgumentException.class,
                () -> new DeviceToken(device, ports, domains, null)).getMessage();
    }

    @Test
    void portsCollapseAndSortDomainsNormaliseAndKeepOrder() {
        DeviceToken t = new DeviceToken("dev-1", List.of(8080, 22, 8080),
                List.of("B.example.com", "*.A.example.com", "b.example.com"), null);
        assertEquals(List.of(22, 8080), List.copyOf(t.ports()));
        assertEquals(List.of("b.example.com", "*.a.example.com"), t.domains());
        assertEquals(Optional.empty(), t.expiresAt());
        assertThrows(UnsupportedOperationException.class, () -> t.ports().add(1));
        assertThrows(UnsupportedOperationException.class, () -> t.domains().add("x.com"));
    }

    @Test
    void expiryIsTruncatedToWholeSecondsAsJwtStoresIt() {
        DeviceToken t = new DeviceToken("d", List.of(22), List.of(), Instant.parse("2026-11-01T00:00:00.900Z"));
        assertEquals(Optional.of(Instant.parse("2026-11-01T00:00:00Z")), t.expiresAt());
    }

    @Test
    void portsOutsideOneTo65535AreRefused() {
        assertEquals("invalid port: 0 (expected: 1 ~ 65535)", refusal("d", List.of(0), List.of()));
        assertEquals("invalid port: 70000 (expected: 1 ~ 65535)", refusal("d", List.of(70000), List.of()));
        assertEquals(65535, DeviceToken.checkPort(65535));
        assertEquals(1, DeviceToken.checkPort(1));
    }

    @Test
    void invalidDomainIsRefused() {
        assertTrue(refusal("d", List.of(), List.of("-a.com")).startsWith("invalid domain -a.com: "));
    }

    @Test
    void deviceIdMustBeNonEmptyShortAndPrintable() {
        assertEquals("device id is empty", refusal("", List.of(22), List.of()));
        assertEquals("device id is empty", refusal("  ", List.of(22), List.of()));
        assertEquals("device id is 256 characters long (expected: at most 255)",
                refusal("x".repeat(256), List.of(22), List.of()));
        assertEquals("device id a\\u000ab holds control character U+000A", refusal("a\nb", List.of(22), List.of()));
        assertEquals("pi@home", DeviceToken.checkDeviceId("pi@home"));
        // limits 4.5: a right-to-left override made a logged id read backwards
        assertEquals("device id evil\\u202egnp.exe holds U+202E at index 4 (expected: letters, digits and "
                + ". _ - @ + : , * only)", refusal("evil\u202egnp.exe", List.of(22), List.of()));
        assertTrue(refusal("a b", List.of(22), List.of()).contains("holds U+0020 at index 1"));
        assertEquals("user+pi.home_1:a-b", DeviceToken.checkDeviceId("user+pi.home_1:a-b"));
    }

    @Test
    void allowsPortAndHost() {
        DeviceToken t = new DeviceToken("d", List.of(2222), List.of("example.com", "*.dev.example.com"), null);
        assertTrue(t.allowsPort(2222));
        assertFalse(t.allowsPort(22));
        assertTrue(t.allowsHost("Example.com"));
        assertTrue(t.allowsHost("api.dev.example.com"));
        assertFalse(t.allowsHost("dev.example.com"));
        assertFalse(t.allowsHost("other.com"));
    }

    @Test
    void equalityIsByValue() {
        Instant exp = Instant.parse("2026-11-01T00:00:00Z");
        DeviceToken a = new DeviceToken("d", List.of(22, 80), List.of("Example.com"), exp);
        DeviceToken b = new DeviceToken("d", List.of(80, 22), List.of("example.com"), exp);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals("DeviceToken(device=d, ports=[22, 80], domains=[example.com], expires=2026-11-01T00:00:00Z)",
                a.toString());
    }
}
