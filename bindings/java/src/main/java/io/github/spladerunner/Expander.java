package io.github.spladerunner;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A SPLADE encoder for one model directory: text in, {@link SparseVector} out.
 *
 * <pre>{@code
 * try (Expander expander = Expander.open(Path.of("models/splade-tiny"), Options.builder().topK(64).build())) {
 *   SparseVector vector = expander.expand("atomic energy");
 *   expander.tokenWeights(vector).forEach((token, weight) -> System.out.println(token + " " + weight));
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> One expander may be shared by any number of threads. Inference runs for up to {@code sessions}
 * (an option, default 1) calls at once, all on the expander's one ONNX Runtime session; the others wait their turn.
 * With the library's decoder a batch's calls also run side by side on up to {@code intraOpThreads} threads. {@link #close()} waits for the calls in flight
 * to finish; calls after it throw {@link IllegalStateException}.
 *
 * <p><b>Memory.</b> The model lives in native memory, which the garbage collector does not see: close an expander
 * when done (try-with-resources). One that becomes unreachable unclosed is freed by a {@link Cleaner} once the
 * collector finds it, and logs a {@link Level#WARNING} (logger {@code io.github.spladerunner}) naming the stack
 * that opened it, so that the missing {@code close()} can be found. An unclosed expander looks small to the
 * collector, which may then not run for a long time while native memory grows: so {@code open} counts the
 * native bytes of the expanders not yet freed (the library's estimate of each) and, when they have grown by more
 * than their own size since the last time (and at least {@link #GC_HINT_BYTES}), asks for a collection with
 * {@link System#gc()}, as the JDK does for direct buffers. A JVM run with {@code -XX:+DisableExplicitGC} ignores
 * that request.
 *
 * <p><b>Text.</b> Texts cross to the library as UTF-8 ({@code String.getBytes(UTF_8)}), so they are always valid
 * UTF-8: an unpaired surrogate {@code char}, which has no UTF-8 form, is sent as {@code '?'}, the JDK's replacement.
 * Texts longer than {@link #maxLength()} tokens are truncated.
 */
public final class Expander implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  /** Native expanders opened and not yet freed, by close() or by the Cleaner; for tests. */
  private static final AtomicInteger LIVE = new AtomicInteger();

  private static final Logger LOGGER = System.getLogger("io.github.spladerunner");

  /**
   * The least growth of {@link #OPEN_BYTES} between two {@link System#gc()} requests: a few expanders' worth, so
   * that a program which closes its expanders, or keeps a few open, never asks for a collection.
   */
  static final long GC_HINT_BYTES = 256L << 20;

  /** The native bytes of the expanders not yet freed: the sum of their {@link Handle#nativeSize}. */
  private static final AtomicLong OPEN_BYTES = new AtomicLong();

  /** The native bytes opened since the last {@link System#gc()} request. */
  private static final AtomicLong OPENED_SINCE_HINT = new AtomicLong();

  private final Handle handle;
  private final Cleaner.Cleanable cleanable;
  /** Calls hold the read lock while they use the handle; close() takes the write lock. */
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lock

  private Expander(Handle handle) {
    this.handle = handle;
    this.cleanable = CLEANER.register(this, handle);
  }

  /** Opens the model directory {@code modelDir} with the default options. See {@link #open(Path, Options)}. */
  public static Expander open(Path modelDir) {
    return open(modelDir, Options.defaults());
  }

  /**
   * Opens the model directory {@code modelDir} (holding {@code model.onnx} and {@code tokenizer.json}) with
   * {@code options}; runs the model once on the empty text, so a model that fails at run time fails here.
   *
   * @throws SpladeException with {@link Status#MODEL_NOT_FOUND} (no directory, no {@code model.onnx} or no
   *     {@code tokenizer.json}), {@link Status#INVALID_MODEL} (a file that cannot be used, a graph whose inputs or
   *     outputs do not fit), {@link Status#RUNTIME_UNAVAILABLE} (ONNX Runtime cannot be loaded) or {@link
   *     Status#INVALID_ARGUMENT} (an option out of range or one the model cannot honour)
   * @throws UnsatisfiedLinkError when the native libraries cannot be loaded
   */
  public static Expander open(Path modelDir, Options options) {
    Objects.requireNonNull(modelDir, "modelDir");
    Objects.requireNonNull(options, "options");
    NativeLoader.load();
    long nativeOptions = options.toNative();
    long pointer;
    try {
      pointer = Native.expanderNew(pathBytes(modelDir), nativeOptions);
    } finally {
      Native.optionsFree(nativeOptions);
    }
    LIVE.incrementAndGet();
    // Captured at every open: a stack costs microseconds, nothing beside the model's opening.
    Handle handle = new Handle(pointer, new Throwable("the Expander was opened here"));
    hintCollection(handle.nativeSize);
    return new Expander(handle);
  }

  /**
   * Counts {@code size} more native bytes open, and asks for a collection when the bytes opened since the last
   * request pass both {@link #GC_HINT_BYTES} and the bytes still open: then at least half of the open bytes are
   * new, and unclosed expanders among them are found by the collection and freed by the Cleaner. Expanders kept
   * open make the requests rarer (each needs the open bytes to double), so their cost stays proportional.
   */
  private static void hintCollection(long size) {
    long open = OPEN_BYTES.addAndGet(size);
    long opened = OPENED_SINCE_HINT.addAndGet(size);
    if (opened > GC_HINT_BYTES && opened > open - opened && OPENED_SINCE_HINT.compareAndSet(opened, 0)) {
      System.gc();
    }
  }

  /** The version of the loaded native library, for example {@code "0.1.0"}. */
  public static String nativeVersion() {
    NativeLoader.load();
    return new String(Native.version(), StandardCharsets.UTF_8);
  }

  /**
   * Expands one text.
   *
   * @throws NullPointerException when {@code text} is null
   * @throws SpladeException with {@link Status#TOKENIZATION} or {@link Status#INFERENCE}
   * @throws IllegalStateException after {@link #close()}
   */
  public SparseVector expand(String text) {
    byte[] bytes = Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8);
    Lock read = acquire();
    try {
      return Native.expand(handle.pointer, bytes);
    } finally {
      release(read);
    }
  }

  /**
   * Expands several texts at once, faster than one by one: they are grouped by length into inference calls of at
   * most {@code tokenBudget} padded tokens, so any number is fine. Returns the vectors in the order of the texts,
   * in an unmodifiable list.
   *
   * @throws NullPointerException when {@code texts} or one of its texts is null
   * @throws SpladeException with {@link Status#TOKENIZATION} or {@link Status#INFERENCE}
   * @throws IllegalStateException after {@link #close()}
   */
  public List<SparseVector> expandBatch(List<String> texts) {
    // One snapshot of the list: its size and its elements could disagree if another thread changes it.
    Object[] snapshot = Objects.requireNonNull(texts, "texts").toArray();
    byte[][] bytes = new byte[snapshot.length][];
    for (int i = 0; i < snapshot.length; i++) {
      if (snapshot[i] == null) {
        throw new NullPointerException("texts[" + i + "] is null");
      }
      bytes[i] = ((String) snapshot[i]).getBytes(StandardCharsets.UTF_8);
    }
    Lock read = acquire();
    SparseVector[] vectors;
    try {
      vectors = Native.expandBatch(handle.pointer, bytes);
    } finally {
      release(read);
    }
    return Collections.unmodifiableList(Arrays.asList(vectors));
  }

  /**
   * The token string of vocabulary id {@code id}.
   *
   * @throws SpladeException with {@link Status#OUT_OF_RANGE} unless {@code 0 <= id < vocabSize()}
   * @throws IllegalStateException after {@link #close()}
   */
  public String token(int id) {
    Lock read = acquire();
    try {
      requireVocabularyId(id);
      return new String(Native.token(handle.pointer, id), StandardCharsets.UTF_8);
    } finally {
      release(read);
    }
  }

  /**
   * The terms of {@code vector} as token string → weight, in vocabulary id order: a new unmodifiable map. (Should
   * two ids of a vocabulary share a string, the later one's weight is kept.) The tokens come from one native call.
   *
   * @throws SpladeException with {@link Status#OUT_OF_RANGE} for a vector of another vocabulary
   * @throws IllegalStateException after {@link #close()}
   */
  public Map<String, Float> tokenWeights(SparseVector vector) {
    Objects.requireNonNull(vector, "vector");
    byte[][] tokens;
    Lock read = acquire();
    try {
      if (!vector.isEmpty()) {
        requireVocabularyId(vector.index(0)); // the ids ascend: only the first can be negative
      }
      // The vector's own array: the glue only reads it.
      tokens = Native.tokens(handle.pointer, vector.indices);
    } finally {
      release(read);
    }
    Map<String, Float> map = new LinkedHashMap<>(tokens.length * 4 / 3 + 1);
    for (int i = 0; i < tokens.length; i++) {
      map.put(new String(tokens[i], StandardCharsets.UTF_8), vector.weight(i));
    }
    return Collections.unmodifiableMap(map);
  }

  /** Throws for a negative id, which the C library's {@code uint32_t} ids cannot express. */
  private static void requireVocabularyId(int id) {
    if (id < 0) {
      throw new SpladeException(Status.OUT_OF_RANGE, "token id " + id + " is negative");
    }
  }

  /**
   * {@code vector} as JSON in {@code format}; {@link Format#IMPACTS} multiplies weights by 100 (see {@link
   * #toJson(SparseVector, Format, float)}).
   *
   * @throws SpladeException with {@link Status#OUT_OF_RANGE} for an id outside the vocabulary
   * @throws IllegalStateException after {@link #close()}
   */
  public String toJson(SparseVector vector, Format format) {
    return toJson(vector, format, 100f);
  }

  /**
   * {@code vector} as JSON in {@code format}; {@code scale} is used by {@link Format#IMPACTS} only and must then
   * be finite and above 0.
   *
   * @throws SpladeException with {@link Status#INVALID_ARGUMENT} (bad scale, ids not ascending and unique, a
   *     weight not finite and above 0, an impact above 2^31-1) or {@link Status#OUT_OF_RANGE} (an id outside the
   *     vocabulary)
   * @throws IllegalStateException after {@link #close()}
   */
  public String toJson(SparseVector vector, Format format, float scale) {
    Objects.requireNonNull(vector, "vector");
    Objects.requireNonNull(format, "format");
    Lock read = acquire();
    try {
      // The vector's own arrays: the glue only reads them.
      byte[] json = Native.toJson(handle.pointer, vector.indices, vector.weights, format.number, scale);
      return new String(json, StandardCharsets.UTF_8);
    } finally {
      release(read);
    }
  }

  /** The number of vocabulary ids; every id in a vector is below it. */
  public int vocabSize() {
    Lock read = acquire();
    try {
      return Math.toIntExact(Native.vocabSize(handle.pointer));
    } finally {
      release(read);
    }
  }

  /** The number of tokens a text is truncated to, special tokens included. */
  public int maxLength() {
    Lock read = acquire();
    try {
      return Math.toIntExact(Native.maxLength(handle.pointer));
    } finally {
      release(read);
    }
  }

  /** True once {@link #close()} has run. */
  public boolean isClosed() {
    Lock read = lock.readLock();
    read.lock();
    try {
      return closed;
    } finally {
      read.unlock();
    }
  }

  /**
   * Frees the native expander, after waiting for the calls in flight on other threads. Idempotent. Calls after it
   * throw {@link IllegalStateException}; vectors already returned stay valid.
   */
  @Override
  public void close() {
    Lock write = lock.writeLock();
    write.lock();
    try {
      if (!closed) {
        closed = true;
        handle.closed = true;
        cleanable.clean(); // runs Handle.run() now, and unregisters it from the Cleaner
      }
    } finally {
      write.unlock();
    }
  }

  /** Native expanders not yet freed, in this class loader: for tests of close() and of the Cleaner. */
  static int liveHandles() {
    return LIVE.get();
  }

  /**
   * A path as the C library wants it: absolute (resolved like Java resolves it), in the encoding the JVM uses for
   * file names ({@code sun.jnu.encoding}, from the locale; UTF-8 if unset or unknown), NUL added by the glue.
   */
  static byte[] pathBytes(Path path) {
    return path.toAbsolutePath().toString().getBytes(FILE_NAMES);
  }

  private static final Charset FILE_NAMES = fileNameCharset();

  private static Charset fileNameCharset() {
    try {
      return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
    } catch (IllegalArgumentException e) {
      return StandardCharsets.UTF_8;
    }
  }

  private Lock acquire() {
    Lock read = lock.readLock();
    read.lock();
    if (closed) {
      read.unlock();
      throw new IllegalStateException("this Expander is closed");
    }
    return read;
  }

  private void release(Lock read) {
    read.unlock();
    // `this` must stay reachable until the native call that used its handle has returned; otherwise the Cleaner
    // could free the handle during the call.
    Reference.reachabilityFence(this);
  }

  /**
   * The native pointer and the action freeing it, run once: by close(), or by the Cleaner when the Expander is
   * unreachable (so no call can be using it), which warns. It must not refer to the Expander, or it would never be
   * collected.
   */
  private static final class Handle implements Runnable {
    final long pointer;
    final long nativeSize;
    /** Where the Expander was opened, for the warning. */
    final Throwable opened;
    /** Set by close() (under its lock) before it runs this: the Cleaner's run is the only one that warns. */
    volatile boolean closed;

    Handle(long pointer, Throwable opened) {
      this.pointer = pointer;
      this.nativeSize = Native.expanderNativeSize(pointer);
      this.opened = opened;
    }

    @Override
    public void run() {
      Native.expanderFree(pointer);
      LIVE.decrementAndGet();
      OPEN_BYTES.addAndGet(-nativeSize);
      if (!closed) {
        LOGGER.log(
            Level.WARNING,
            "an Expander was garbage-collected without close(), holding "
                + nativeSize
                + " bytes of native memory until then; it was opened at:",
            opened);
      }
    }
  }
}
