package dev.mproxy.cli;

import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * How the user started {@code mproxy}, so that every printed command can be pasted as it is: the launcher
 * script ({@code target/mproxy}, which passes its own path as {@code -Dmproxy.launcher}), else
 * {@code java -jar PATH/mproxy.jar}, else {@code mproxy}.
 */
final class Launcher {

    /** Set by {@code src/main/launcher/mproxy.sh} to the path it was run as. */
    static final String PROPERTY = "mproxy.launcher";

    private Launcher() {
    }

    static String command() {
        String launcher = System.getProperty(PROPERTY);
        if (launcher != null && !launcher.isBlank()) {
            return launcher;
        }
        try {
            Path code = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (code.getFileName() != null && code.getFileName().toString().endsWith(".jar")) {
                Path here = Path.of("").toAbsolutePath();
                return "java -jar " + (code.startsWith(here) ? here.relativize(code) : code);
            }
        } catch (URISyntaxException | SecurityException | NullPointerException | IllegalArgumentException e) {
            // no code source to name: the installed command's name will do
        }
        return "mproxy";
    }
}
