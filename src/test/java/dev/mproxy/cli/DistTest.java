package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What {@code dist/} ships: example configs every key of which the commands take, units systemd accepts. */
@Timeout(60)
class DistTest {

    private static final Path DIST = Path.of("dist");

    @TempDir
    Path tmp;

    @Test
    void theExampleConfigsParseIntoTheCommandsOptions() throws Exception {
        GatewayCommand gateway = parse("gateway", DIST.resolve("gateway.toml")).getCommand();
        assertEquals(List.of("gw.example.com"), gateway.hostnames);
        assertEquals(443, gateway.tlsPort.getAsInt());
        assertEquals(Path.of("/var/lib/mproxy"), gateway.files.dataDir);
        assertEquals(Duration.ofSeconds(10), gateway.drain.timeout);

        ConnectCommand connect = parse("connect", DIST.resolve("connect.toml")).getCommand();
        assertEquals("wss://gw.example.com:7443", connect.gateways.get(0).toString());
        assertEquals(Path.of("/etc/mproxy/device.token"), connect.token.file);
        assertEquals(1, connect.tcp.size());
        assertEquals(1, connect.https.size());
        assertEquals(1, connect.http.size());
    }

    @Test
    void systemdAcceptsTheUnits() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze is not installed");
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify", "--man=no"));
        Path launcher = Path.of("src/main/launcher/mproxy.sh").toAbsolutePath();
        assertTrue(Files.isExecutable(launcher), launcher + " is executable (git keeps the bit)");
        try (var units = Files.list(DIST.resolve("systemd"))) {
            for (Path unit : units.filter(p -> p.toString().endsWith(".service")).toList()) {
                // the binary must exist for verify: the launcher as it is in the tree
                Path copy = tmp.resolve(unit.getFileName());
                Files.writeString(copy, Files.readString(unit).replace("/usr/local/bin/mproxy", launcher.toString()));
                command.add(copy.toString());
            }
        }
        assertEquals(5, command.size(), "two units");
        Process verify = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(verify.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, verify.exitValue(), output);
        assertEquals("", output.strip(), "no warnings");
    }

    @Test
    void bashCompletesTheCommandsAndTheirOptions() throws Exception {
        Cli.Run run = Cli.run("completion");
        assertEquals(0, run.exitCode(), run.err());
        Path script = Files.writeString(tmp.resolve("mproxy.bash"), run.out());
        // bash itself: the script loads, and completes 'mproxy con' and 'mproxy connect --drain'
        // (compopt complains outside a real completion: stderr is left out)
        String complete = "source " + script + "; "
                + "COMP_LINE='mproxy con'; COMP_WORDS=(mproxy con); COMP_CWORD=1; _complete_mproxy; "
                + "echo \"${COMPREPLY[@]}\"; "
                + "COMP_LINE='mproxy connect --drain'; COMP_WORDS=(mproxy connect --drain); COMP_CWORD=2; "
                + "_complete_mproxy; echo \"${COMPREPLY[@]}\"";
        Process bash = new ProcessBuilder("bash", "-c", complete).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        List<String> lines = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .toList();
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
        assertEquals(List.of("connect", "--drain-timeout"), lines);
    }

    private static CommandLine parse(String name, Path file) throws Exception {
        CommandLine top = MproxyCommand.commandLine(new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()));
        top.parseArgs(ConfigFile.expand(top, new String[] {name, "--config", file.toString()}));
        return top.getSubcommands().get(name);
    }
}
