package io.github.spladerunner;

import java.nio.charset.StandardCharsets;

/**
 * The JNI glue ({@code src/main/c/spladerunner_jni.c}): one method per C function of {@code spladerunner.h}, doing
 * only conversions. Strings cross as UTF-8 {@code byte[]} in both directions (never as JNI "modified UTF-8"). A
 * failed C call throws the {@link SpladeException} that {@link #error} makes. Handles are C pointers as
 * {@code long}; the callers ({@link Expander}) guarantee they are live.
 */
final class Native {
  static {
    // Expander.open calls it first, so that a failure is an UnsatisfiedLinkError every time, not only once.
    NativeLoader.load();
  }

  private Native() {}

  /** Called by the glue to turn a C error (status number, UTF-8 message) into the exception it throws. */
  static SpladeException error(int status, byte[] message) {
    return new SpladeException(status, new String(message, StandardCharsets.UTF_8));
  }

  static native byte[] version();

  static native byte[] statusName(int status);

  static native long optionsNew();

  static native void optionsFree(long options);

  static native void optionsSetMaxLength(long options, long maxLength);

  static native void optionsSetMaxWindows(long options, long maxWindows);

  static native void optionsSetWindowOverlap(long options, long windowOverlap);

  static native void optionsSetTopK(long options, long topK);

  static native void optionsSetMinWeight(long options, float minWeight);

  static native void optionsSetMaxRatio(long options, float maxRatio);

  static native void optionsSetAlphaMass(long options, float alphaMass);

  static native void optionsSetDropSpecialTokens(long options, boolean drop);

  static native void optionsSetIntraOpThreads(long options, long threads);

  static native void optionsSetSessions(long options, long sessions);

  static native void optionsSetTokenBudget(long options, long tokenBudget);

  /** {@code path}: in the file-name encoding (see {@code Expander.pathBytes}), without the NUL the glue adds. */
  static native void optionsSetOrtLibraryPath(long options, byte[] path);

  /** {@code modelDir}: as {@code path} above; {@code options}: 0 for the defaults. */
  static native long expanderNew(byte[] modelDir, long options);

  static native void expanderFree(long expander);

  /** The library's estimate of the native memory the expander holds, in bytes. */
  static native long expanderNativeSize(long expander);

  static native SparseVector expand(long expander, byte[] text);

  static native SparseVector[] expandBatch(long expander, byte[][] texts);

  static native byte[] token(long expander, int id);

  /** The UTF-8 token of every id in {@code ids}, from one C call. */
  static native byte[][] tokens(long expander, int[] ids);

  /** UTF-8 JSON of the vector in a {@code SPLADE_FORMAT_*} shape. */
  static native byte[] toJson(long expander, int[] indices, float[] weights, int format, float scale);

  static native long vocabSize(long expander);

  static native long maxLength(long expander);
}
