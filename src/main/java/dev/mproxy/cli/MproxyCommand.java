package dev.mproxy.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

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
            UnpackCommand.class, RecordCommand.class, InspectCommand.class, RelayCommand.class, CompletionCommand.class,
            AdminCommands.Status.class, AdminCommands.Devices.class, AdminCommands.Disconnect.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:failure (I/O, network, internal error)",
            "2:usage error",
            "3:connect: replaced by a newer connection of the same device id",
            "65:bad input data (corrupt stream, unusable fixture)",
            "76:connect: no device endpoint at the URL (404), or ws:// vs wss:// does not match the port",
            "77:connect: the gateway refused the token (expired, or not signed with its secret)",
            "78:connect: the gateway's certificate is not trusted (fingerprint mismatch, unknown CA)",
            "143:stopped by SIGTERM with streams still open after --drain-timeout"
        })
public final class MproxyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print stack traces with errors.")
    boolean verbose;

    /** The subcommand's arguments as typed, without a config file's: what a reload reads the file again with. */
    List<String> commandLine = List.of();

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
        CommandLine cmd = new CommandLine(new MproxyCommand()) {
            @Override
            public int execute(String... args) {
                try {
                    MproxyCommand top = getCommand();
                    return super.execute(ConfigFile.expand(this, args, given -> top.commandLine = given));
                } catch (ConfigFile.BadConfigException e) {
                    getErr().println("mproxy: " + e.getMessage());
                    getErr().flush();
                    return ExitCodes.USAGE;
                }
            }
        };
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExitCodeExceptionMapper(t -> t instanceof CommandException ? ((CommandException) t).exitCode()
                : ExitCodes.FAILURE);
        cmd.setParameterExceptionHandler((ex, args) -> {
            CommandLine failed = ex.getCommandLine();
            if (!(ex instanceof UnmatchedArgumentException) && !failed.getUnmatchedArguments().isEmpty()) {
                // an unknown option first: '--gatway' is the problem, not the '--gateway' it left missing
                ex = new UnmatchedArgumentException(failed, failed.getUnmatchedArguments());
            }
            String message = ex.getMessage();
            if (ex instanceof UnmatchedArgumentException) {
                List<String> suggestions = ((UnmatchedArgumentException) ex).getSuggestions();
                if (!suggestions.isEmpty()) {
                    message += " (did you mean " + String.join(" or ", suggestions) + "?)";
                }
            }
            failed.getErr().println("mproxy: " + message + " (see '"
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
