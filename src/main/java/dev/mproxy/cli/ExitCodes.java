package dev.mproxy.cli;

/** Process exit codes of {@code mproxy}, following BSD {@code sysexits.h} where one fits. */
final class ExitCodes {

    static final int OK = 0;
    /** Any failure not described by another code. */
    static final int FAILURE = 1;
    /** Bad command line: unknown option, missing argument. */
    static final int USAGE = 2;
    /** {@code EX_DATAERR}: the input data was incorrect (a corrupt stream, an unusable fixture). */
    static final int DATA_ERROR = 65;

    private ExitCodes() {
    }
}
