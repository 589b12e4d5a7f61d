package dev.mproxy.cli;

import dev.mproxy.transport.NettyDefaults;

/** Entry point of {@code target/mproxy.jar}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        NettyDefaults.apply();
        System.exit(MproxyCommand.commandLine().execute(args));
    }
}
