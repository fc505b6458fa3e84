package io.github.spladerunner;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Options for {@link Expander#open(Path, Options)}, mirroring the C {@code splade_options_set_*} setters one for
 * one (a test holds the builder's setters to the header's). Immutable; made by {@link #builder()}. A setting left
 * unset keeps the C library's default; setting 0 where the C setter gives 0 a meaning (restore the default, or keep
 * all) does the same here.
 *
 * <p>Values a C {@code size_t} cannot hold (negative ones) are rejected by the builder with {@link
 * IllegalArgumentException}. Everything else is checked by the C library when the expander opens: an invalid value
 * (for example {@code sessions(0)}, or a {@code maxLength} above the model's limit) makes {@code open} throw a
 * {@link SpladeException} with {@link Status#INVALID_ARGUMENT}.
 */
public final class Options {
  private static final Options DEFAULTS = builder().build();

  private final Integer maxLength;
  private final Integer maxWindows;
  private final Integer windowOverlap;
  private final Integer topK;
  private final Float minWeight;
  private final Float maxRatio;
  private final Float alphaMass;
  private final Boolean dropSpecialTokens;
  private final Integer intraOpThreads;
  private final Integer sessions;
  private final Integer tokenBudget;
  private final Path ortLibraryPath;

  private Options(Builder b) {
    maxLength = b.maxLength;
    maxWindows = b.maxWindows;
    windowOverlap = b.windowOverlap;
    topK = b.topK;
    minWeight = b.minWeight;
    maxRatio = b.maxRatio;
    alphaMass = b.alphaMass;
    dropSpecialTokens = b.dropSpecialTokens;
    intraOpThreads = b.intraOpThreads;
    sessions = b.sessions;
    tokenBudget = b.tokenBudget;
    ortLibraryPath = b.ortLibraryPath;
  }

  /** Every setting at the C library's default. */
  public static Options defaults() {
    return DEFAULTS;
  }

  /** A builder with every setting unset (the C defaults). */
  public static Builder builder() {
    return new Builder();
  }

  /** Creates the C options, applies the settings that were set, and returns the handle (freed by the caller). */
  long toNative() {
    long options = Native.optionsNew();
    try {
      if (maxLength != null) {
        Native.optionsSetMaxLength(options, maxLength);
      }
      if (maxWindows != null) {
        Native.optionsSetMaxWindows(options, maxWindows);
      }
      if (windowOverlap != null) {
        Native.optionsSetWindowOverlap(options, windowOverlap);
      }
      if (topK != null) {
        Native.optionsSetTopK(options, topK);
      }
      if (minWeight != null) {
        Native.optionsSetMinWeight(options, minWeight);
      }
      if (maxRatio != null) {
        Native.optionsSetMaxRatio(options, maxRatio);
      }
      if (alphaMass != null) {
        Native.optionsSetAlphaMass(options, alphaMass);
      }
      if (dropSpecialTokens != null) {
        Native.optionsSetDropSpecialTokens(options, dropSpecialTokens);
      }
      if (intraOpThreads != null) {
        Native.optionsSetIntraOpThreads(options, intraOpThreads);
      }
      if (sessions != null) {
        Native.optionsSetSessions(options, sessions);
      }
      if (tokenBudget != null) {
        Native.optionsSetTokenBudget(options, tokenBudget);
      }
      if (ortLibraryPath != null) {
        Native.optionsSetOrtLibraryPath(options, Expander.pathBytes(ortLibraryPath));
      }
      return options;
    } catch (RuntimeException | Error e) {
      Native.optionsFree(options);
      throw e;
    }
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("Options{");
    append(s, "maxLength", maxLength);
    append(s, "maxWindows", maxWindows);
    append(s, "windowOverlap", windowOverlap);
    append(s, "topK", topK);
    append(s, "minWeight", minWeight);
    append(s, "maxRatio", maxRatio);
    append(s, "alphaMass", alphaMass);
    append(s, "dropSpecialTokens", dropSpecialTokens);
    append(s, "intraOpThreads", intraOpThreads);
    append(s, "sessions", sessions);
    append(s, "tokenBudget", tokenBudget);
    append(s, "ortLibraryPath", ortLibraryPath);
    if (s.charAt(s.length() - 1) == ' ') {
      s.setLength(s.length() - 2);
    }
    return s.append('}').toString();
  }

  private static void append(StringBuilder s, String name, Object value) {
    if (value != null) {
      s.append(name).append('=').append(value).append(", ");
    }
  }

  /** Builds {@link Options}; each setter documents the C setter it maps to. Not thread-safe. */
  public static final class Builder {
    private Integer maxLength;
    private Integer maxWindows;
    private Integer windowOverlap;
    private Integer topK;
    private Float minWeight;
    private Float maxRatio;
    private Float alphaMass;
    private Boolean dropSpecialTokens;
    private Integer intraOpThreads;
    private Integer sessions;
    private Integer tokenBudget;
    private Path ortLibraryPath;

    private Builder() {}

    /**
     * Tokens per text, special tokens included; longer texts are truncated. 0 restores the default: the model's
     * own limit from its config files, at most 512. ({@code splade_options_set_max_length})
     */
    public Builder maxLength(int maxLength) {
      this.maxLength = nonNegative("maxLength", maxLength);
      return this;
    }

    /**
     * Lets a long text be cut into up to {@code maxWindows} windows of {@code maxLength} tokens, whose vectors are
     * merged by keeping each term's largest weight, the windows after the first at half their weights. Default 1: a text is truncated to its first window; must be
     * {@code >= 1}. ({@code splade_options_set_max_windows})
     */
    public Builder maxWindows(int maxWindows) {
      this.maxWindows = nonNegative("maxWindows", maxWindows);
      return this;
    }

    /**
     * Text tokens shared by consecutive windows (used when {@code maxWindows > 1}). Default 32; must be smaller than
     * a window's text tokens, checked when the expander opens. ({@code splade_options_set_window_overlap})
     */
    public Builder windowOverlap(int windowOverlap) {
      this.windowOverlap = nonNegative("windowOverlap", windowOverlap);
      return this;
    }

    /** Keeps only the {@code topK} heaviest terms of each vector; 0 keeps all (the default). */
    public Builder topK(int topK) {
      this.topK = nonNegative("topK", topK);
      return this;
    }

    /**
     * Keeps only terms with weight {@code >= minWeight} (default 0: every term with a positive weight). Must be
     * finite and {@code >= 0}, checked by the C library when the expander opens.
     */
    public Builder minWeight(float minWeight) {
      this.minWeight = minWeight;
      return this;
    }

    /**
     * Keeps only the terms whose weight is at least {@code maxRatio} × the vector's largest weight (OpenSearch's
     * {@code max_ratio} pruning, compared as it compares, in float). Unset: off. From 0 (keeps all) to 1, checked by
     * the C library when the expander opens. Applied to a text's merged vector, before {@code alphaMass} and {@code
     * topK}. ({@code splade_options_set_max_ratio})
     */
    public Builder maxRatio(float maxRatio) {
      this.maxRatio = maxRatio;
      return this;
    }

    /**
     * Keeps the fewest heaviest terms whose weights sum to at least {@code alphaMass} × the vector's total weight
     * (ties to the smaller id; a vector with terms keeps at least one). Unset: off. Above 0 and at most 1 (keeps
     * all), checked by the C library when the expander opens. Applied after {@code maxRatio}, before {@code topK}.
     * Unlike OpenSearch's {@code alpha_mass}, which can keep none, the term that reaches the threshold is kept.
     * ({@code splade_options_set_alpha_mass})
     */
    public Builder alphaMass(float alphaMass) {
      this.alphaMass = alphaMass;
      return this;
    }

    /**
     * Leaves the tokenizer's special tokens ({@code [CLS]}, {@code [SEP]}, {@code [PAD]}, {@code [UNK]}, {@code
     * [MASK]} for BERT) out of every vector. Default false. ({@code splade_options_set_drop_special_tokens})
     */
    public Builder dropSpecialTokens(boolean drop) {
      this.dropSpecialTokens = drop;
      return this;
    }

    /**
     * Threads one expander call uses; 0 restores the default (one per core). For a graph that ONNX Runtime runs to
     * the end (pooled weights or logits) they are ONNX Runtime's intra-op threads. For a graph that stops at the
     * hidden states (the library's decoder, as in the shipped splade-tiny) they decode one inference call's
     * vocabulary together, and a batch's inference calls run side by side on them, ONNX Runtime running each on one
     * thread (docs/threads.md). More threads add no copy of the model.
     */
    public Builder intraOpThreads(int threads) {
      this.intraOpThreads = nonNegative("intraOpThreads", threads);
      return this;
    }

    /**
     * How many inference calls of different callers may run at once on one expander. They share its one ONNX Runtime
     * session (one copy of the weights), each with its own buffers. Default 1; must be {@code >= 1}. A batch's calls
     * run side by side on {@link #intraOpThreads(int)} whatever this is.
     */
    public Builder sessions(int sessions) {
      this.sessions = nonNegative("sessions", sessions);
      return this;
    }

    /**
     * The most padded tokens (texts × padded length) one inference call may hold; a longer single text still
     * runs, alone. Default 256; must be {@code >= 1}.
     */
    public Builder tokenBudget(int tokenBudget) {
      this.tokenBudget = nonNegative("tokenBudget", tokenBudget);
      return this;
    }

    /**
     * The ONNX Runtime shared library to load. Without it: the environment variable {@code ORT_DYLIB_PATH} (when
     * set, the only library tried), else
     * {@code libonnxruntime.so} beside {@code libspladerunner.so} (for the jar: the one it carries). A relative
     * path is resolved against the working directory ({@code user.dir}). A process loads one ONNX Runtime: naming
     * a different library once one is loaded fails with {@link Status#RUNTIME_UNAVAILABLE}.
     */
    public Builder ortLibraryPath(Path path) {
      this.ortLibraryPath = Objects.requireNonNull(path, "path");
      return this;
    }

    public Options build() {
      return new Options(this);
    }

    private static Integer nonNegative(String name, int value) {
      if (value < 0) {
        throw new IllegalArgumentException(name + " must be >= 0, got " + value);
      }
      return value;
    }
  }
}
