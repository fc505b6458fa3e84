package io.github.spladerunner;

/**
 * A failure reported by the spladerunner C library: its {@link Status} and message.
 *
 * <p>Unchecked, like {@link java.io.UncheckedIOException}: most statuses (an invalid model, ONNX Runtime missing, a
 * bug) cannot be handled where {@code expand} is called, and for a Java {@code String} {@code expand} fails only on
 * an inference error, so a checked exception would only add {@code try} blocks, and would keep {@code expand} out
 * of lambdas and streams. Callers that can react (say, to {@link Status#MODEL_NOT_FOUND}) catch it and look at
 * {@link #status()}.
 */
public class SpladeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int number;
  private final String detail;

  /** An exception for C status {@code number} with the library's {@code message}. */
  SpladeException(int number, String message) {
    super(Status.of(number).name() + " (" + number + "): " + message);
    this.number = number;
    this.detail = message;
  }

  SpladeException(Status status, String message) {
    this(status.number(), message);
  }

  /** The status, {@link Status#UNKNOWN} for a number this binding does not know (see {@link #number()}). */
  public Status status() {
    return Status.of(number);
  }

  /** The C status number, as the library returned it. */
  public int number() {
    return number;
  }

  /** The library's message alone, without the status that {@link #getMessage()} starts with. */
  public String detail() {
    return detail;
  }
}
