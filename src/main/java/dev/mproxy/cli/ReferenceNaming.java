package dev.mproxy.cli;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How proxy-packer's {@code test/pack.js} names a stream from its first bytes: the TLS server name as npm
 * {@code sni@1.0.0} finds it, else the HTTP {@code Host} header, lowercased with any {@code :port} removed.
 * Reproduced exactly, lenient parts included, because {@code pack} must be byte-identical to it. The gateway's
 * own ClientHello and request-head readers are strict and live elsewhere.
 */
final class ReferenceNaming {

    /**
     * pack.js's {@code /(?:^|[\r\n])Host: ([^\r\n]+)[\r\n]* /im}. JavaScript's multiline {@code ^} also matches
     * after U+2028 and U+2029; listing them keeps Java's {@code ^} from also matching after U+0085.
     */
    private static final Pattern HOST = Pattern.compile("(?:^|[\\r\\n\\u2028\\u2029])Host: ([^\\r\\n]+)",
            Pattern.CASE_INSENSITIVE);

    private ReferenceNaming() {
    }

    /** pack.js's {@code servername || hostname}. */
    static String name(byte[] data) {
        String serverName = serverName(data);
        return serverName != null && !serverName.isEmpty() ? serverName : hostName(data);
    }

    /** The first {@code host_name} of a {@code server_name} extension, read as sni@1.0.0 reads it, or null. */
    static String serverName(byte[] data) {
        int end = data.length;
        // record header (5), handshake type (1), length (3), client_version (2), random (32)
        int pos = 5 + 1 + 3 + 2 + 32;
        if (pos > end - 1) {
            return null;
        }
        pos += 1 + u8(data, pos); // session_id
        if (pos > end - 2) {
            return null;
        }
        pos += 2 + u16(data, pos); // cipher_suites
        if (pos > end - 1) {
            return null;
        }
        pos += 1 + u8(data, pos); // compression_methods
        if (pos > end - 2) {
            return null;
        }
        int extensionsEnd = pos + 2 + u16(data, pos);
        pos += 2;
        if (extensionsEnd > end) {
            return null;
        }
        end = extensionsEnd;
        while (pos <= end - 4) {
            int type = u16(data, pos);
            int size = u16(data, pos + 2);
            pos += 4;
            if (type != 0) {
                pos += size;
                continue;
            }
            if (pos > end - 2) {
                return null;
            }
            int n = pos + 2;
            pos = n + u16(data, pos);
            if (pos > end) {
                return null;
            }
            while (n < pos - 3) {
                int nameType = u8(data, n);
                int nameLength = u16(data, n + 1);
                n += 3;
                if (nameType == 0) {
                    return n > end - nameLength ? null : ascii(data, n, nameLength);
                }
                n += nameLength;
            }
        }
        return null;
    }

    /** The {@code Host} header's value, lowercased, up to its first colon; empty when there is none. */
    static String hostName(byte[] data) {
        // Buffer.toString() decodes UTF-8 and replaces malformed bytes with U+FFFD, as new String does.
        Matcher m = HOST.matcher(new String(data, StandardCharsets.UTF_8));
        if (!m.find()) {
            return "";
        }
        String host = m.group(1).toLowerCase(Locale.ROOT);
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    /** Node's {@code 'ascii'} decoding: each byte with its high bit cleared. */
    private static String ascii(byte[] data, int from, int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = (char) (data[from + i] & 0x7F);
        }
        return new String(chars);
    }

    private static int u8(byte[] data, int i) {
        return data[i] & 0xFF;
    }

    private static int u16(byte[] data, int i) {
        return (data[i] & 0xFF) << 8 | data[i + 1] & 0xFF;
    }
}
