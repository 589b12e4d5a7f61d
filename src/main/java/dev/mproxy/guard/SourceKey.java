package dev.mproxy.guard;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The "source" limits count by (limits 2.1): an IPv4 address, or an IPv6 /64, the smallest block a site is given
 * (RFC 6177) and so what one attacker can be assumed to hold in full. An IPv4-mapped IPv6 address is its IPv4.
 */
public final class SourceKey {

    private SourceKey() {
    }

    /** {@code 203.0.113.7}, or {@code 2001:db8:0:1::/64}; the address's text for anything that is not IP. */
    public static String of(SocketAddress remote) {
        if (remote instanceof InetSocketAddress && ((InetSocketAddress) remote).getAddress() != null) {
            return of(((InetSocketAddress) remote).getAddress());
        }
        return String.valueOf(remote);
    }

    public static String of(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet6Address && b.length == 16) {
            StringBuilder s = new StringBuilder(24);
            for (int i = 0; i < 8; i += 2) {
                s.append(Integer.toHexString((b[i] & 0xff) << 8 | b[i + 1] & 0xff)).append(':');
            }
            return s.append(":/64").toString();
        }
        return address.getHostAddress();
    }
}
