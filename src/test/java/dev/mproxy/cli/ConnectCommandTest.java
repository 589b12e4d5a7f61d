package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code connect}'s mappings on the command line (protocol-spec/device-mappings.md §1). */
@Timeout(30)
class ConnectCommandTest {

    @Test
    void helpShowsEveryMappingKindAndTheProxyOption() {
        Cli.Run run = Cli.run("connect", "--help");
        assertEquals(0, run.exitCode(), run.err());
        for (String shown : List.of("--tcp=PUBLIC_PORT=HOST:PORT[,proxy=v1|v2]", "--https=NAME=HOST:PORT[,proxy=v1|v2]",
                "--http=NAME=HOST:PORT[,proxy=v1|v2]", "*.example.com", "0.0.0.0 or ::", "E_NO_TARGET")) {
            assertTrue(run.out().contains(shown), shown + " in:\n" + run.out());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        // mappings 1.1, 1.2: KEY=HOST:PORT
        "--https | app.example.com                       | 'app.example.com' (expected: NAME=HOST:PORT[,proxy=v1|v2])",
        "--tcp   | 10022                                 | '10022' (expected: PUBLIC_PORT=HOST:PORT[,proxy=v1|v2])",
        "--http  | app.example.com=127.0.0.1             | '127.0.0.1' (expected: HOST:PORT",
        "--tcp   | ssh=127.0.0.1:22                      | 'ssh=127.0.0.1:22': port 'ssh' (expected: 1 to 65535)",
        // mappings 2.1: names as DomainNames takes them
        "--http  | bad_label.example.com=127.0.0.1:80    | invalid domain bad_label.example.com: label 'bad_label' holds '_'",
        "--https | a.*.example.com=127.0.0.1:443         | invalid domain a.*.example.com: '*' is allowed only as the whole first label",
        // mappings 1.4: only proxy=v1 or proxy=v2 after the comma
        "--tcp   | 10022=127.0.0.1:22,proxy=v3           | 'proxy=v3' after the comma (expected: proxy=v1 or proxy=v2)",
        "--https | app.example.com=127.0.0.1:443,        | '' after the comma (expected: proxy=v1 or proxy=v2)",
        "--http  | app.example.com=127.0.0.1:80,proxy=v1,x | 'proxy=v1,x' after the comma (expected: proxy=v1 or proxy=v2)",
    })
    void badMappingIsAUsageErrorNamingTheOptionAndWhatWasExpected(String option, String value, String message) {
        Cli.Run run = connect(option, value);
        assertEquals(2, run.exitCode(), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        // picocli's form for a repeatable option: Invalid value for option '--tcp' (PUBLIC_PORT=...): ...
        assertTrue(run.err().contains("Invalid value for option '" + option + "' ("), run.err());
        assertTrue(run.err().contains("): " + message), run.err());
    }

    @Test
    void samePortOrNameTwiceInOneKindIsAUsageError() {
        // mappings 1.3: compared after normalisation; the same name may serve https and http
        Cli.Run names = connect("--https", "App.Example.com=127.0.0.1:8443", "--http", "app.example.com=127.0.0.1:80",
                "--https", "app.example.COM=127.0.0.1:9443");
        assertEquals(2, names.exitCode(), names.err());
        assertTrue(names.err().contains("Invalid value for option '--https' (NAME=HOST:PORT[,proxy=v1|v2]): https "
                + "name app.example.com is mapped twice"), names.err());

        Cli.Run ports = connect("--tcp", "10022=127.0.0.1:22", "--tcp", "10022=127.0.0.1:2222,proxy=v2");
        assertEquals(2, ports.exitCode(), ports.err());
        assertTrue(ports.err().contains("Invalid value for option '--tcp' (PUBLIC_PORT=HOST:PORT[,proxy=v1|v2]): "
                + "public port 10022 is mapped twice"), ports.err());
    }

    @Test
    void noMappingAtAllIsAUsageError() {
        // mappings 1.3
        Cli.Run run = connect();
        assertEquals(2, run.exitCode(), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains("at least one --tcp, --https or --http is required"), run.err());
    }

    /** {@code connect} to an unreachable gateway with {@code mappings}: only a usage error returns. */
    private static Cli.Run connect(String... mappings) {
        List<String> args = new ArrayList<>(List.of("connect", "--gateway", "wss://localhost:1", "--insecure",
                "--token", "t"));
        args.addAll(List.of(mappings));
        return Cli.run(args.toArray(new String[0]));
    }
}
