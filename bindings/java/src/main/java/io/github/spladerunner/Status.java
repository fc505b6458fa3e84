package io.github.spladerunner;

/**
 * The C library's {@code splade_status}: what kind of failure happened. The numbers are those of the C ABI,
 * stable and never reused; {@link #number()} gives it and {@code name()} is the C name without its {@code
 * SPLADE_STATUS_} prefix (tests check both against {@code include/spladerunner.h}, both ways, and against the
 * loaded library).
 */
public enum Status {
  /** Success (never carried by an exception). */
  OK(0),
  /** A required pointer was NULL: a bug in the binding, since Java arguments are checked first. */
  NULL_ARGUMENT(1),
  /** An option out of range, or one the model cannot honour. */
  INVALID_ARGUMENT(2),
  /** A text is not UTF-8: cannot happen from Java, which always sends UTF-8. */
  INVALID_UTF8(3),
  /** No model directory, or no {@code model.onnx} / {@code tokenizer.json} in it. */
  MODEL_NOT_FOUND(4),
  /** A model file is corrupt or does not fit the model directory contract. */
  INVALID_MODEL(5),
  /** The tokenizer failed on a text. */
  TOKENIZATION(6),
  /** ONNX Runtime could not be loaded; the message lists where it looked. */
  RUNTIME_UNAVAILABLE(7),
  /** ONNX Runtime failed while running the model. */
  INFERENCE(8),
  /** A token id outside the vocabulary. */
  OUT_OF_RANGE(9),
  /**
   * An object used after close. The Java binding reports that as {@link IllegalStateException} instead, the Java
   * convention; the status exists for the other bindings.
   */
  CLOSED(10),
  /** Memory could not be allocated while opening or running the model: the options or the input asked too much. */
  OUT_OF_MEMORY(11),
  /** A bug in spladerunner (a Rust panic caught at the C boundary); please report it. */
  PANIC(99),
  /** A number this version of the binding does not know (from a newer native library). */
  UNKNOWN(-1);

  private final int number;

  Status(int number) {
    this.number = number;
  }

  /** The C ABI number of this status ({@code -1} for {@link #UNKNOWN}). */
  public int number() {
    return number;
  }

  /** The status with C number {@code number}, or {@link #UNKNOWN}. */
  public static Status of(int number) {
    for (Status status : values()) {
      if (status.number == number && status != UNKNOWN) {
        return status;
      }
    }
    return UNKNOWN;
  }
}
