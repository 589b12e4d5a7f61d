package dev.mproxy.protocol;

/** Checks on the strings that go into a header. */
final class HeaderFields {

    private HeaderFields() {
    }

    /** Returns {@code value} if it can be one header field: no comma (rule 2.4), no control character (2.3). */
    static String check(String value, String name) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == ',') {
                throw new IllegalArgumentException(name + " contains a comma: \"" + value
                        + "\" (expected: no ',' inside a header field)");
            }
            if (c < 0x20 || c == 0x7F) {
                throw new IllegalArgumentException(name + " contains control character 0x"
                        + Integer.toHexString(c) + ": \"" + value.replace("\n", "\\n").replace("\r", "\\r")
                        + "\" (expected: printable text)");
            }
        }
        return value;
    }
}
