package dev.mproxy.cli;

import dev.mproxy.config.Durations;
import dev.mproxy.config.GatewayUris;
import dev.mproxy.config.HostPorts;
import dev.mproxy.connector.Mapping;
import dev.mproxy.gateway.PortRange;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.rendezvous.RendezvousId;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.OptionalInt;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converters for every value type of the command line, registered on their options: a value that does not
 * parse is a usage error picocli reports naming its option, {@code Invalid value for option '--listen': 'x' (expected:
 * HOST:PORT, ...)}. Each calls the picocli-free parser that a configuration file will call too ({@code
 * dev.mproxy.config}, {@link PortRange#parse}, {@link Mapping#parse}, {@link RecordingFormat#ofWord}).
 */
final class Converters {

    private Converters() {
    }

    /** A parser's {@link IllegalArgumentException} as picocli's conversion error, message unchanged. */
    private abstract static class Checked<T> implements ITypeConverter<T> {
        @Override
        public final T convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }

        abstract T parse(String value);
    }

    /** {@code value} as a decimal int from {@code low} to {@code high}, or an error saying {@code expected}. */
    private static int wholeNumber(String value, int low, int high, String expected) {
        try {
            int n = Integer.parseInt(value);
            if (n >= low && n <= high) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what was expected
        }
        throw new IllegalArgumentException("'" + value + "' (expected: " + expected + ')');
    }

    /** {@code HOST:PORT} to listen on, resolved now; port 0 picks a free one. */
    static final class ListenAddress extends Checked<InetSocketAddress> {
        @Override
        InetSocketAddress parse(String value) {
            return HostPorts.parseListen(value);
        }
    }

    /** {@code HOST:PORT} of a service, port 1 to 65535, left unresolved: the name is looked up at each use. */
    static final class ServiceAddress extends Checked<InetSocketAddress> {
        @Override
        InetSocketAddress parse(String value) {
            return HostPorts.parse(value);
        }
    }

    /** A port 1 to 65535. */
    static final class Port extends Checked<Integer> {
        @Override
        Integer parse(String value) {
            return wholeNumber(value, 1, 65535, "a port 1 to 65535");
        }
    }

    /** A shared public port 1 to 65535, or 0 for none (empty). */
    static final class SharedPort extends Checked<OptionalInt> {
        @Override
        OptionalInt parse(String value) {
            int port = wholeNumber(value, 0, 65535, "a port 1 to 65535, or 0 for none");
            return port == 0 ? OptionalInt.empty() : OptionalInt.of(port);
        }
    }

    /** {@code LOW-HIGH} or one port. */
    static final class Ports extends Checked<PortRange> {
        @Override
        PortRange parse(String value) {
            return PortRange.parse(value);
        }
    }

    /** A whole number, 1 or more. */
    static final class AtLeastOne extends Checked<Integer> {
        @Override
        Integer parse(String value) {
            return wholeNumber(value, 1, Integer.MAX_VALUE, "a whole number, at least 1");
        }
    }

    /** A positive duration: a number and d, h, m or s. */
    static final class PositiveDuration extends Checked<Duration> {
        @Override
        Duration parse(String value) {
            return Durations.parsePositive(value);
        }
    }

    /** {@code PUBLIC_PORT=HOST:PORT[,proxy=v1|v2]}, the public port 1 to 65535. */
    /** A duration that may be zero ({@code 0s}: do not wait). */
    static final class AnyDuration extends Checked<Duration> {
        @Override
        Duration parse(String value) {
            return Durations.parse(value);
        }
    }

    static final class TcpMapping extends Checked<Mapping> {
        @Override
        Mapping parse(String value) {
            Mapping mapping = Mapping.parse(value, Mapping.TCP_SYNTAX);
            mapping.publicPort(value);
            return mapping;
        }
    }

    /** {@code NAME=HOST:PORT[,proxy=v1|v2]}; the name is checked as it is added to the mappings. */
    static final class NameMapping extends Checked<Mapping> {
        @Override
        Mapping parse(String value) {
            return Mapping.parse(value, Mapping.NAME_SYNTAX);
        }
    }

    /** {@code netrecord} or {@code mcrec}. */
    static final class Format extends Checked<RecordingFormat> {
        @Override
        RecordingFormat parse(String value) {
            return RecordingFormat.ofWord(value);
        }
    }

    /** {@code wss://HOST:PORT} or {@code ws://HOST:PORT}. */
    static final class GatewayUri extends Checked<URI> {
        @Override
        URI parse(String value) {
            try {
                return GatewayUris.check(new URI(value));
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("'" + value + "' is not a URI: " + e.getReason()
                        + " (expected: wss://HOST:PORT or ws://HOST:PORT)", e);
            }
        }
    }

    /** A rendezvous relay id: 16 to 128 characters of A-Z a-z 0-9 - _. */
    static final class RelayId extends Checked<String> {
        @Override
        String parse(String value) {
            return RendezvousId.check(value);
        }
    }
}
