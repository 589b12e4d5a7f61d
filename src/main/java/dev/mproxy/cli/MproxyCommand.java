package dev.mproxy.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The top-level {@code mproxy} command: prints usage when run without a subcommand. */
@Command(name = "mproxy",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Self-hosted tunnel gateway: devices behind NAT expose local services through a public gateway, "
                + "multiplexed over one WebSocket per device with the M-PROXY v1 framing of proxy-packer.",
            ""
        },
        subcommands = {GatewayCommand.class, ConnectCommand.class, TokenCommand.class, PackCommand.class,
            UnpackCommand.class, RecordCommand.class, InspectCommand.class, RelayCommand.class,
            AdminCommands.Status.class, AdminCommands.Devices.class, AdminCommands.Disconnect.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:failure (I/O, network, internal error)",
            "2:usage error",
            "65:bad input data (corrupt stream, unusable fixture)"
        })
public final class MproxyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing subcommand");
    }

    /** The command line exactly as {@code main} runs it, writing to the process's stdout and stderr. */
    public static CommandLine commandLine() {
        return commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    }

    /** The command line exactly as {@code main} runs it, writing to {@code out} and {@code err}. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(new MproxyCommand());
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExitCodeExceptionMapper(t -> t instanceof CommandException ? ((CommandException) t).exitCode()
                : ExitCodes.FAILURE);
        cmd.setParameterExceptionHandler((ex, args) -> {
            CommandLine failed = ex.getCommandLine();
            failed.getErr().println("mproxy: " + ex.getMessage() + " (see '"
                    + failed.getCommandSpec().qualifiedName() + " --help')");
            failed.getErr().flush();
            return ExitCodes.USAGE;
        });
        cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter errors = commandLine.getErr();
            errors.println("mproxy " + commandLine.getCommandName() + ": " + describe(ex));
            if (isVerbose(parseResult)) {
                ex.printStackTrace(errors);
            }
            errors.flush();
            return commandLine.getExitCodeExceptionMapper().getExitCode(ex);
        });
        return cmd;
    }

    /** {@code --verbose} is inherited: picocli sets it on the root command's object wherever it was given. */
    private static boolean isVerbose(CommandLine.ParseResult parseResult) {
        Object top = parseResult.commandSpec().root().userObject();
        return top instanceof MproxyCommand && ((MproxyCommand) top).verbose;
    }

    private static String describe(Throwable ex) {
        String message = ex.getMessage();
        return message == null || message.isEmpty() ? ex.getClass().getSimpleName() : message;
    }
}
