package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The top-level command: help, version and exit codes. */
class MproxyCommandTest {

    @Test
    void helpListsSubcommandsAndExitCodes() {
        Cli.Run run = Cli.run("--help");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("pack"), run.out());
        assertTrue(run.out().contains("unpack"), run.out());
        assertTrue(run.out().contains("65"), run.out());
    }

    @Test
    void versionNamesTheBuild() {
        Cli.Run run = Cli.run("--version");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().startsWith("mproxy "), run.out());
    }

    @Test
    void unknownOptionIsUsageErrorOnOneLine() {
        Cli.Run run = Cli.run("unpack", "--no-such-option");
        assertEquals(2, run.exitCode());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains("--no-such-option") && run.err().contains("mproxy unpack --help"),
                run.err());
    }

    @Test
    void noSubcommandIsUsageError() {
        assertEquals(2, Cli.run().exitCode());
    }

    @Test
    void subcommandHelpExplainsTheContract() {
        Cli.Run run = Cli.run("pack", "--help");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("test/pack.js"), run.out());
    }
}
