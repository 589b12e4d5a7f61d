package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Sizes on the command line, as {@code gateway --relay-max-message} takes them (rendezvous 1.5). */
class SizesTest {

    @Test
    void bytesOrANumberOfBinaryUnits() {
        Sizes sizes = new Sizes();
        assertEquals(0L, sizes.convert("0"));
        assertEquals(1500L, sizes.convert("1500"));
        assertEquals(64L * 1024, sizes.convert("64KiB"));
        assertEquals(16L * 1024 * 1024, sizes.convert("16MiB"));
        assertEquals(2L * 1024 * 1024 * 1024, sizes.convert("2GiB"));
    }

    @Test
    void anythingElseIsAUsageErrorSayingWhatIsExpected() {
        Cli.Run run = Cli.run("gateway", "--relay-max-message", "16MB");
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("'16MB' (expected: a number of bytes, or a number and KiB, MiB or GiB, "
                + "e.g. 16MiB)"), run.err());
    }
}
