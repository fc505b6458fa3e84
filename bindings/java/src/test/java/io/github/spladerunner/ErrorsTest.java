package io.github.spladerunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every failure a Java caller can meet comes back as the right exception, and none crashes the JVM. */
class ErrorsTest {
  static Expander expander;

  @BeforeAll
  static void open() {
    expander = Expander.open(TestData.model("splade-tiny"), Options.builder().maxLength(128).build());
  }

  @AfterAll
  static void close() {
    expander.close();
  }

  @Test
  void aNullTextThrowsNullPointerException() {
    assertThrows(NullPointerException.class, () -> expander.expand(null));
    assertThrows(NullPointerException.class, () -> expander.expandBatch(null));
    NullPointerException e =
        assertThrows(NullPointerException.class, () -> expander.expandBatch(Arrays.asList("a", null, "c")));
    assertTrue(e.getMessage().contains("texts[1]"), e.getMessage());
    assertThrows(NullPointerException.class, () -> expander.tokenWeights(null));
    assertThrows(NullPointerException.class, () -> Expander.open(null));
    assertThrows(NullPointerException.class, () -> Expander.open(TestData.model("splade-tiny"), null));
  }

  @Test
  void aMissingModelDirectoryIsModelNotFound(@TempDir Path empty) {
    SpladeException e =
        assertThrows(SpladeException.class, () -> Expander.open(empty.resolve("no-such-model")));
    assertEquals(Status.MODEL_NOT_FOUND, e.status());
    assertEquals(4, e.number());
    assertTrue(e.getMessage().startsWith("MODEL_NOT_FOUND (4): "), e.getMessage());
    assertTrue(e.detail().contains("no-such-model"), e.detail());
    // A directory without model.onnx and tokenizer.json.
    assertEquals(Status.MODEL_NOT_FOUND, assertThrows(SpladeException.class, () -> Expander.open(empty)).status());
  }

  @Test
  void modelsThatBreakTheContractAreInvalidModel() {
    for (String fixture : List.of("bad-output-shape", "vocab-mismatch", "bad-input-name")) {
      SpladeException e =
          assertThrows(SpladeException.class, () -> Expander.open(TestData.model(fixture)), fixture);
      assertEquals(Status.INVALID_MODEL, e.status(), fixture + ": " + e.getMessage());
    }
  }

  @Test
  void optionsOutOfRangeAreInvalidArgument() {
    Path model = TestData.model("splade-tiny");
    for (Options options :
        List.of(
            Options.builder().sessions(0).build(),
            Options.builder().tokenBudget(0).build(),
            Options.builder().minWeight(-1f).build(),
            Options.builder().minWeight(Float.NaN).build(),
            Options.builder().maxRatio(1.5f).build(),
            Options.builder().maxRatio(Float.NaN).build(),
            Options.builder().alphaMass(0f).build(),
            Options.builder().alphaMass(-0.1f).build(),
            Options.builder().maxLength(100_000).build())) {
      SpladeException e = assertThrows(SpladeException.class, () -> Expander.open(model, options), options::toString);
      assertEquals(Status.INVALID_ARGUMENT, e.status(), options + ": " + e.getMessage());
    }
    // Values a size_t cannot hold never reach C.
    assertThrows(IllegalArgumentException.class, () -> Options.builder().maxLength(-1));
    assertThrows(IllegalArgumentException.class, () -> Options.builder().topK(-1));
    assertThrows(IllegalArgumentException.class, () -> Options.builder().sessions(-1));
    assertThrows(IllegalArgumentException.class, () -> Options.builder().tokenBudget(-1));
    assertThrows(IllegalArgumentException.class, () -> Options.builder().intraOpThreads(-1));
    assertThrows(NullPointerException.class, () -> Options.builder().ortLibraryPath(null));
  }

  @Test
  void aMissingOnnxRuntimeLibraryIsRuntimeUnavailable(@TempDir Path dir) {
    // ONNX Runtime is already loaded in this JVM, so naming another library must fail, not load a second one.
    SpladeException e =
        assertThrows(
            SpladeException.class,
            () ->
                Expander.open(
                    TestData.model("splade-tiny"),
                    Options.builder().ortLibraryPath(dir.resolve("libonnxruntime.so")).build()));
    assertEquals(Status.RUNTIME_UNAVAILABLE, e.status(), e.getMessage());
  }

  @Test
  void tokenIdsOutsideTheVocabularyAreOutOfRange() {
    int size = expander.vocabSize();
    assertEquals(Status.OUT_OF_RANGE, assertThrows(SpladeException.class, () -> expander.token(size)).status());
    assertEquals(Status.OUT_OF_RANGE, assertThrows(SpladeException.class, () -> expander.token(-1)).status());
    assertEquals(
        Status.OUT_OF_RANGE,
        assertThrows(
                SpladeException.class,
                () -> expander.tokenWeights(SparseVector.of(new int[] {size}, new float[] {1f})))
            .status());
    SpladeException negative =
        assertThrows(
            SpladeException.class,
            () -> expander.tokenWeights(SparseVector.of(new int[] {-1, 5}, new float[] {1f, 1f})));
    assertEquals(Status.OUT_OF_RANGE, negative.status());
    assertTrue(negative.detail().contains("-1"), negative.detail());
  }

  @Test
  void aListWhoseSizeDisagreesWithItsElementsIsExpandedAsItsElements() {
    // ArrayList's iterator stops at its own count of elements, not at size(): a batch sized by size() and filled
    // by iterating would hold a null (which crashed the JVM in the glue).
    List<String> lying =
        new java.util.ArrayList<>(List.of("atomic energy", "fuel cells")) {
          @Override
          public int size() {
            return super.size() + 1;
          }
        };
    List<SparseVector> vectors = expander.expandBatch(lying);
    assertEquals(List.of(expander.expand("atomic energy"), expander.expand("fuel cells")), vectors);
  }

  @Test
  void aLoneSurrogateIsSentAsAQuestionMark() {
    // A String may hold an unpaired surrogate, which has no UTF-8 form: getBytes(UTF_8) writes '?' for it, so the
    // library always gets valid UTF-8 (INVALID_UTF8 cannot happen from Java) and sees "?" there.
    String lone = "caf\uD800 atomic \uDFFF energy";
    assertEquals("caf? atomic ? energy", new String(lone.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
    SparseVector vector = expander.expand(lone);
    assertEquals(expander.expand("caf? atomic ? energy"), vector);
    assertEquals(vector, expander.expandBatch(List.of(lone)).get(0));
    // A proper pair (an emoji) and a NUL, which modified UTF-8 would have mangled, go through as themselves: BERT's
    // normalizer drops the NUL (a control character), so the text is the one without it, and the text after the
    // NUL arrives (a C string would have ended there); the emoji is not a '?'.
    SparseVector withNul = expander.expand("fire \uD83D\uDD25 \u0000 water");
    assertEquals(expander.expand("fire \uD83D\uDD25  water"), withNul);
    assertNotEquals(expander.expand("fire \uD83D\uDD25 "), withNul);
    assertNotEquals(expander.expand("fire ? ? water"), withNul);
    assertTrue(!expander.expand("\uD83D\uDD25").equals(expander.expand("?")));
  }

  @Test
  void statusNumbersAndNamesMatchTheLoadedLibrary() {
    for (Status status : Status.values()) {
      if (status == Status.UNKNOWN) {
        continue;
      }
      String name = new String(Native.statusName(status.number()), StandardCharsets.UTF_8);
      assertEquals("SPLADE_STATUS_" + status.name(), name);
      assertEquals(status, Status.of(status.number()));
    }
    assertEquals("SPLADE_STATUS_UNKNOWN", new String(Native.statusName(1234), StandardCharsets.UTF_8));
    assertEquals(Status.UNKNOWN, Status.of(1234));
    SpladeException unknown = new SpladeException(1234, "from the future");
    assertEquals(Status.UNKNOWN, unknown.status());
    assertEquals(1234, unknown.number());
  }
}
