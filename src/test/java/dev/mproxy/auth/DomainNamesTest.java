package dev.mproxy.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 1123 names and {@code *.} wildcards: what is refused, how names are normalised, what matches. */
class DomainNamesTest {

    /** {@code n} characters of dot-separated 63-character labels (the last one shorter). */
    private static String nameOfLength(int n) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < n) {
            if (sb.length() > 0) {
                sb.append('.');
            }
            int label = Math.min(63, n - sb.length());
            sb.append("a".repeat(label));
        }
        return sb.toString();
    }

    private static String refusal(String pattern) {
        return assertThrows(IllegalArgumentException.class, () -> DomainNames.normalizePattern(pattern),
                pattern).getMessage();
    }

    @Test
    void namesAndWildcardsAreLowercased() {
        assertEquals("example.com", DomainNames.normalizePattern("Example.COM"));
        assertEquals("*.example.com", DomainNames.normalizePattern("*.Example.Com"));
        assertEquals("xn--bcher-kva.example", DomainNames.normalizePattern("XN--BCHER-KVA.example"));
        assertEquals("localhost", DomainNames.normalizePattern("localhost"));
        assertEquals("3com.com", DomainNames.normalizePattern("3com.com"), "RFC 1123 allows a leading digit");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "-a.com        | label '-a' starts or ends with a hyphen",
        "a-.com        | label 'a-' starts or ends with a hyphen",
        "a..b          | it has an empty label",
        ".a.com        | it has an empty label",
        "a.com.        | it ends with a dot",
        "a_b.com       | label 'a_b' holds '_'",
        "a b.com       | label 'a b' holds ' '",
        "bücher.de     | it is not ASCII (give its punycode xn-- form)",
        "10.0.0.1      | its last label '1' is all digits",
        "*             | '*' is allowed only as the whole first label",
        "*.            | nothing follows the wildcard",
        "*example.com  | '*' is allowed only as the whole first label",
        "**.example.com| '*' is allowed only as the whole first label",
        "a.*.com       | '*' is allowed only as the whole first label",
        "*.*.com       | '*' is allowed only as the whole first label",
        "*.-a.com      | starts or ends with a hyphen",
    })
    void malformedNamesAreRefusedWithTheReason(String pattern, String reason) {
        String message = refusal(pattern);
        assertTrue(message.startsWith("invalid domain " + pattern + ": "), message);
        assertTrue(message.contains(reason), message + " should say " + reason);
    }

    @Test
    void emptyNameIsRefused() {
        assertEquals("invalid domain : it is empty", refusal(""));
    }

    @Test
    void controlCharactersAreEscapedInTheMessage() {
        String message = refusal("a\nb.com");
        assertTrue(message.contains("a\\u000ab.com") && message.contains("control character U+000A"), message);
        assertFalse(message.contains("\n"), message);
    }

    @Test
    void totalLengthIsAtMost253() {
        String max = nameOfLength(253);
        assertEquals(253, max.length());
        assertEquals(max, DomainNames.normalizePattern(max));
        String over = nameOfLength(254);
        assertTrue(refusal(over).contains("it is 254 characters long (expected: at most 253)"), refusal(over));
        String wildcard = "*." + nameOfLength(252);
        assertTrue(refusal(wildcard).contains("it is 254 characters long"), refusal(wildcard));
    }

    @Test
    void wildcardNeedsTwoLabelsUnderIt() {
        // limits 4.5: *.com caught the names of every other tenant under .com
        assertTrue(refusal("*.com").contains("a wildcard needs at least two labels under it (expected: *.example.com)"),
                refusal("*.com"));
        assertEquals("*.example.com", DomainNames.normalizePattern("*.Example.com"));
    }

    @Test
    void labelsAreAtMost63Characters() {
        assertEquals("a".repeat(63) + ".com", DomainNames.normalizePattern("a".repeat(63) + ".com"));
        assertTrue(refusal("a".repeat(64) + ".com").contains("is 64 characters long (expected: at most 63)"));
    }

    @Test
    void normalizeNameRefusesWildcards() {
        assertThrows(IllegalArgumentException.class, () -> DomainNames.normalizeName("*.example.com"));
    }

    @Test
    void exactPatternMatchesOnlyThatNameInAnyCase() {
        assertTrue(DomainNames.matches("example.com", "example.com"));
        assertTrue(DomainNames.matches("example.com", "EXAMPLE.com"));
        assertTrue(DomainNames.matches("example.com", "example.com."), "one trailing dot (FQDN form)");
        assertFalse(DomainNames.matches("example.com", "www.example.com"));
        assertFalse(DomainNames.matches("example.com", "example.co"));
    }

    @Test
    void wildcardMatchesEveryDepthBelowButNotTheApex() {
        assertTrue(DomainNames.matches("*.example.com", "a.example.com"));
        assertTrue(DomainNames.matches("*.example.com", "a.b.Example.com"));
        assertFalse(DomainNames.matches("*.example.com", "example.com"));
        assertFalse(DomainNames.matches("*.example.com", "badexample.com"));
        assertFalse(DomainNames.matches("*.example.com", ".example.com"));
    }

    @Test
    void invalidHostsMatchNothing() {
        assertFalse(DomainNames.matches("*.example.com", "a b.example.com"));
        assertFalse(DomainNames.matches("*.example.com", ""));
        assertFalse(DomainNames.matches("example.com", "example.com:443"));
    }
}
