package dev.mproxy.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Routing by name: exact first, then the longest wildcard (protocol-spec/routing.md 2.1). */
class DomainMapTest {

    private final DomainMap<String> map = new DomainMap<>();

    @Test
    void exactNameWinsOverEveryWildcard() {
        map.put("*.example.com", "wild");
        map.put("pi.example.com", "pi");
        assertEquals("pi", map.match("pi.example.com"));
        assertEquals("pi", map.match("PI.Example.COM."), "case and one trailing dot do not matter");
        assertEquals("wild", map.match("laptop.example.com"));
    }

    @Test
    void longestWildcardWinsAtAnyDepth() {
        map.put("*.example.com", "outer");
        map.put("*.lab.example.com", "lab");
        assertEquals("lab", map.match("a.lab.example.com"));
        assertEquals("lab", map.match("x.y.lab.example.com"));
        assertEquals("outer", map.match("lab.example.com"), "a wildcard does not cover its own base");
        assertEquals("outer", map.match("a.b.example.com"));
        assertNull(map.match("example.com"));
        assertNull(map.match("example.org"));
    }

    @Test
    void hostsThatAreNotNamesMatchNothing() {
        map.put("*.example.com", "wild");
        assertNull(map.match("a..example.com"));
        assertNull(map.match("bad_label.example.com"));
        assertNull(map.match(""));
        assertNull(map.match("127.0.0.1"));
    }

    @Test
    void removeTakesOnlyTheGivenValue() {
        map.put("*.Example.com", "a");
        assertTrue(!map.remove("*.example.com", "b"));
        assertEquals("a", map.get("*.EXAMPLE.com"));
        assertTrue(map.remove("*.example.com", "a"));
        assertTrue(map.isEmpty());
        assertThrows(IllegalArgumentException.class, () -> map.put("a.*.example.com", "x"));
    }
}
