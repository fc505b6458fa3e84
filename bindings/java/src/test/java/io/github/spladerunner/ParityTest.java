package io.github.spladerunner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parity with the core's reference vectors (tools/reference.py, an independent pipeline): on every parity text,
 * the same term ids and every weight within 1e-5, through expand and expandBatch, at max_length 512 (the default)
 * and 128.
 */
class ParityTest {
  static final float TOLERANCE = 1e-5f;

  @ParameterizedTest(name = "max_length {0}")
  @ValueSource(ints = {512, 128})
  void vectorsMatchTheReference(int maxLength) {
    List<String> texts = TestData.parityTexts();
    List<TestData.Reference> reference = TestData.reference(maxLength);
    assertEquals(130, texts.size());
    assertEquals(texts.size(), reference.size());
    for (int i = 0; i < texts.size(); i++) {
      assertEquals(texts.get(i), reference.get(i).text, "the reference was made from other texts: rerun setup");
    }
    // 512 is the default: open it without options, as most users will.
    Options options = maxLength == 512 ? Options.defaults() : Options.builder().maxLength(maxLength).build();
    try (Expander expander = Expander.open(TestData.model("splade-tiny"), options)) {
      assertEquals(maxLength, expander.maxLength());
      compare("expandBatch", expander.expandBatch(texts), reference);
      List<SparseVector> single = new ArrayList<>();
      for (String text : texts) {
        single.add(expander.expand(text));
      }
      compare("expand", single, reference);
    }
  }

  @Test
  void longTextsCutIntoOverlappingWindowsMatchTheReference() {
    List<String> texts = TestData.parityTexts();
    List<TestData.Reference> reference =
        TestData.reference(128, "splade-tiny.max128.windows4.overlap32.jsonl");
    Options options = Options.builder().maxLength(128).maxWindows(4).windowOverlap(32).build();
    try (Expander expander = Expander.open(TestData.model("splade-tiny"), options)) {
      compare("expandBatch, windows", expander.expandBatch(texts), reference);
    }
  }

  static void compare(String label, List<SparseVector> vectors, List<TestData.Reference> reference) {
    assertEquals(reference.size(), vectors.size());
    float worst = 0;
    for (int i = 0; i < vectors.size(); i++) {
      SparseVector ours = vectors.get(i);
      TestData.Reference theirs = reference.get(i);
      assertArrayEquals(theirs.indices, ours.indices(), label + ": text " + i + ": term ids differ");
      for (int j = 0; j < ours.size(); j++) {
        worst = Math.max(worst, Math.abs(ours.weight(j) - theirs.weights[j]));
      }
      assertTrue(worst <= TOLERANCE, label + ": text " + i + ": weight differs by " + worst);
    }
    System.out.printf("%s: %d texts, max abs weight difference %.3g%n", label, vectors.size(), worst);
  }
}
