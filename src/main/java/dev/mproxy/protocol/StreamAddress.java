package dev.mproxy.protocol;

import static java.util.Objects.requireNonNull;

/**
 * The public client a stream belongs to: socket family, address and port, kept as the header strings
 * exactly as on the wire. Together they are the stream id (proxy-packer's {@code addrToId}).
 */
public final class StreamAddress {

    /** The empty address of {@code control} messages ({@code ,,,}). */
    public static final StreamAddress NONE = new StreamAddress("", "", "");

    private final String family;
    private final String address;
    private final String port;

    /**
     * @throws IllegalArgumentException if a field holds a comma or a control character, which would
     *                                  corrupt the header (rules 2.3, 2.4)
     */
    public StreamAddress(String family, String address, String port) {
        this.family = HeaderFields.check(requireNonNull(family, "family"), "family");
        this.address = HeaderFields.check(requireNonNull(address, "address"), "address");
        this.port = HeaderFields.check(requireNonNull(port, "port"), "port");
    }

    /** {@code IPv4} or {@code IPv6} when sent by a gateway; any string when decoded. */
    public String family() {
        return family;
    }

    public String address() {
        return address;
    }

    public String port() {
        return port;
    }

    /** The stream id: {@code family,address,port}. */
    public String id() {
        return family + ',' + address + ',' + port;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof StreamAddress)) {
            return false;
        }
        StreamAddress that = (StreamAddress) o;
        return family.equals(that.family) && address.equals(that.address) && port.equals(that.port);
    }

    @Override
    public int hashCode() {
        return (family.hashCode() * 31 + address.hashCode()) * 31 + port.hashCode();
    }

    @Override
    public String toString() {
        return id();
    }
}
