package dev.mproxy.cli;

/** Input data that cannot be used; exits with {@link ExitCodes#DATA_ERROR}. */
final class BadInputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    BadInputException(String message) {
        super(message);
    }

    BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
