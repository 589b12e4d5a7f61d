package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@link RemoteText}: what a peer chose, fit for one log line (rendezvous 4.4). */
class RemoteTextTest {

    @Test
    void lineBreaksControlAndFormattingCharactersAreEscapedInQuotes() {
        assertEquals("\"bye\\nINFO: forged\\r\\u0000\\u001b[31m\"",
                RemoteText.quoted("bye\nINFO: forged\r\0\u001b[31m"));
        assertEquals("\"\\u2028\\u202e\\u0085\"", RemoteText.quoted("\u2028\u202e\u0085"));
        assertEquals("\"a \\\"quote\\\" and a \\\\\"", RemoteText.quoted("a \"quote\" and a \\"));
        assertEquals("\"déjà vu ✓\"", RemoteText.quoted("déjà vu ✓"));
        assertEquals("\"\"", RemoteText.quoted(""));
    }

    @Test
    void longTextIsCutWithoutSplittingACharacter() {
        String cut = RemoteText.quoted("x".repeat(RemoteText.MAX_CHARS - 1) + "\uD83D\uDE00" + "tail");
        assertEquals('"' + "x".repeat(RemoteText.MAX_CHARS - 1) + "\"...", cut);
        assertEquals('"' + "y".repeat(RemoteText.MAX_CHARS) + "\"...", RemoteText.quoted("y".repeat(500)));
    }
}
