package dev.mproxy.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code mproxy completion}: bash (and zsh) completion generated from the commands' own options. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {
            "Print a bash completion script for mproxy, made from its commands and options.",
            "",
            "  source <(mproxy completion)                          # this shell",
            "  mproxy completion > /etc/bash_completion.d/mproxy    # every shell",
            "",
            "zsh: autoload -U +X bashcompinit && bashcompinit, then source it.",
            ""
        })
final class CompletionCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.print(AutoComplete.bash("mproxy", spec.root().commandLine()));
        out.flush();
        return ExitCodes.OK;
    }
}
