package dev.mproxy.cli;

/** A failure the user can act on: its message is printed as one line and it exits with its own code. */
final class CommandException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    private CommandException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** Input data that cannot be used: a corrupt stream, an unusable fixture ({@link ExitCodes#DATA_ERROR}). */
    static CommandException badInput(String message, Throwable cause) {
        return new CommandException(ExitCodes.DATA_ERROR, message, cause);
    }

    static CommandException badInput(String message) {
        return badInput(message, null);
    }

    /** Anything else that stops the command: a missing file, an unusable port ({@link ExitCodes#FAILURE}). */
    static CommandException failure(String message) {
        return new CommandException(ExitCodes.FAILURE, message, null);
    }

    int exitCode() {
        return exitCode;
    }
}
