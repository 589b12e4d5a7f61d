package dev.mproxy.cli;

/** Entry point of {@code target/mproxy.jar}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(MproxyCommand.commandLine().execute(args));
    }
}
