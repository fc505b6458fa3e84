package io.github.spladerunner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API around expand: tokens, sizes, options that prune, vectors. */
class ExpanderTest {
  static final String SENTENCE =
      "The Manhattan Project and its atomic bomb helped bring an end to World War II. Its legacy of peaceful uses"
          + " of atomic energy continues to have an impact on history and science.";
  static Expander expander;

  @BeforeAll
  static void open() {
    expander = Expander.open(TestData.model("splade-tiny"));
  }

  @AfterAll
  static void close() {
    expander.close();
  }

  @Test
  void describesItsModel() {
    assertEquals(30522, expander.vocabSize());
    assertEquals(512, expander.maxLength());
    assertEquals("[PAD]", expander.token(0));
    assertEquals("manhattan", expander.token(7128));
    assertEquals("0.1.0", Expander.nativeVersion());
  }

  @Test
  void tokenWeightsNameTheTermsLikeTheReadmeDemo() {
    SparseVector vector = expander.expand(SENTENCE);
    assertEquals(83, vector.size());
    Map<String, Float> weights = expander.tokenWeights(vector);
    assertEquals(83, weights.size());
    assertEquals(2.2918f, weights.get("manhattan"), 1e-4f);
    assertEquals(2.0999f, weights.get("atomic"), 1e-4f);
    assertEquals(vector.weightOf(7128), weights.get("manhattan"));
    assertThrows(UnsupportedOperationException.class, () -> weights.put("x", 1f));
    // In vocabulary id order, each token token()'s and its weight the vector's.
    List<String> tokens = new ArrayList<>(weights.keySet());
    for (int i = 0; i < vector.size(); i++) {
      assertEquals(expander.token(vector.index(i)), tokens.get(i));
      assertEquals(vector.weight(i), weights.get(tokens.get(i)));
    }
    assertEquals(Map.of(), expander.tokenWeights(SparseVector.of(new int[0], new float[0])));
  }

  @Test
  void tokenWeightsOfIdsSharingATokenKeepTheLaterWeight(@TempDir Path dir) {
    try (Expander shared = Expander.open(TestData.sharedTokenModel(dir))) {
      assertEquals("", shared.token(1));
      assertEquals("", shared.token(2));
      // The later weight, here the smaller one; the shared key keeps the first one's place.
      Map<String, Float> weights =
          shared.tokenWeights(SparseVector.of(new int[] {1, 2, 7128}, new float[] {0.5f, 0.25f, 2f}));
      assertEquals(List.of("", "manhattan"), new ArrayList<>(weights.keySet()));
      assertEquals(Map.of("", 0.25f, "manhattan", 2f), weights);
    }
  }

  @Test
  void toJsonGivesEachEngineItsShape() {
    SparseVector vector = expander.expand(SENTENCE);
    assertTrue(expander.toJson(vector, Format.INDICES_VALUES).startsWith("{\"indices\":[2001,"));
    assertTrue(expander.toJson(vector, Format.TOKEN_WEIGHTS).contains("\"manhattan\":2.29"));
    assertTrue(expander.toJson(vector, Format.ELASTICSEARCH).contains("\"manhattan\":2.29"));
    assertTrue(expander.toJson(vector, Format.IMPACTS).contains("\"manhattan\":229"));
    assertTrue(expander.toJson(vector, Format.IMPACTS, 10f).contains("\"manhattan\":23"));
    assertTrue(expander.toJson(vector, Format.TEI).startsWith("[{\"index\":2001,"));
    SpladeException bad = assertThrows(SpladeException.class, () -> expander.toJson(vector, Format.IMPACTS, 0f));
    assertEquals(Status.INVALID_ARGUMENT, bad.status());
  }

  @Test
  void specialTokensCanBeDropped() {
    // A parity text whose vector holds [UNK] (its reference vector does too).
    String text = "机器学习是人工智能的一个分支。北京是中华人民共和国的首都，人口超过两千万。";
    assertTrue(expander.tokenWeights(expander.expand(text)).containsKey("[UNK]"));
    try (Expander dropping =
        Expander.open(TestData.model("splade-tiny"), Options.builder().dropSpecialTokens(true).build())) {
      assertTrue(!dropping.tokenWeights(dropping.expand(text)).containsKey("[UNK]"));
    }
  }

  @Test
  void vectorsAreImmutableAndSorted() {
    SparseVector vector = expander.expand(SENTENCE);
    int[] indices = vector.indices();
    assertNotSame(indices, vector.indices());
    indices[0] = -5;
    assertTrue(vector.index(0) >= 0);
    for (int i = 1; i < vector.size(); i++) {
      assertTrue(vector.index(i) > vector.index(i - 1));
      assertTrue(vector.weight(i) > 0);
    }
    assertEquals(0f, vector.weightOf(0));
    assertEquals(vector, SparseVector.of(vector.indices(), vector.weights()));
    assertEquals(vector.hashCode(), SparseVector.of(vector.indices(), vector.weights()).hashCode());
    assertThrows(IllegalArgumentException.class, () -> SparseVector.of(new int[] {2, 1}, new float[] {1, 1}));
    assertThrows(IllegalArgumentException.class, () -> SparseVector.of(new int[] {1}, new float[] {}));
  }

  @Test
  void emptyInputs() {
    assertEquals(Collections.emptyList(), expander.expandBatch(List.of()));
    assertEquals(expander.expand(""), expander.expandBatch(List.of("")).get(0));
    List<SparseVector> batch = expander.expandBatch(List.of("atomic", "", "energy"));
    assertEquals(3, batch.size());
    assertThrows(UnsupportedOperationException.class, () -> batch.set(0, null));
  }

  @Test
  void pruningOptionsKeepTheHeaviestTerms() {
    SparseVector full = expander.expand(SENTENCE);
    try (Expander pruned =
        Expander.open(
            TestData.model("splade-tiny"),
            Options.builder().topK(10).minWeight(0.5f).intraOpThreads(1).sessions(2).tokenBudget(256).build())) {
      SparseVector top = pruned.expand(SENTENCE);
      assertEquals(10, top.size());
      List<Float> sorted = new ArrayList<>();
      for (float w : full.weights()) {
        sorted.add(w);
      }
      sorted.sort(Collections.reverseOrder());
      float tenth = sorted.get(9);
      for (int i = 0; i < top.size(); i++) {
        assertTrue(top.weight(i) >= tenth && top.weight(i) >= 0.5f);
        assertEquals(full.weightOf(top.index(i)), top.weight(i), 1e-6f);
      }
    }
  }

  /**
   * maxRatio keeps the weights {@code >= 0.3f ×} the largest (a float product); alphaMass the fewest heaviest terms
   * (ties to the smaller id) whose sum, in double, reaches half the total: each vector is the unpruned one pruned so.
   */
  @Test
  void maxRatioAndAlphaMassPruneAsTheRulesSay() {
    SparseVector full = expander.expand(SENTENCE);
    int n = full.size();
    float largest = 0f;
    for (float w : full.weights()) {
      largest = Math.max(largest, w);
    }
    boolean[] byRatio = new boolean[n];
    for (int i = 0; i < n; i++) {
      byRatio[i] = full.weight(i) >= 0.3f * largest;
    }
    List<Integer> ranked = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ranked.add(i);
    }
    ranked.sort(
        (a, b) ->
            full.weight(a) != full.weight(b)
                ? Float.compare(full.weight(b), full.weight(a))
                : Integer.compare(full.index(a), full.index(b)));
    double total = 0;
    for (int i : ranked) {
      total += full.weight(i);
    }
    boolean[] byMass = new boolean[n];
    double sum = 0;
    for (int i : ranked) {
      if (sum >= 0.5 * total) {
        break;
      }
      sum += full.weight(i);
      byMass[i] = true;
    }
    Map<Options, boolean[]> cases =
        Map.of(Options.builder().maxRatio(0.3f).build(), byRatio, Options.builder().alphaMass(0.5f).build(), byMass);
    for (Map.Entry<Options, boolean[]> c : cases.entrySet()) {
      boolean[] keep = c.getValue();
      int kept = 0;
      for (boolean k : keep) {
        kept += k ? 1 : 0;
      }
      assertTrue(kept > 0 && kept < n, c.getKey() + " keeps " + kept + " of " + n + " terms: the test shows nothing");
      int[] indices = new int[kept];
      float[] weights = new float[kept];
      for (int i = 0, j = 0; i < n; i++) {
        if (keep[i]) {
          indices[j] = full.index(i);
          weights[j++] = full.weight(i);
        }
      }
      try (Expander pruned = Expander.open(TestData.model("splade-tiny"), c.getKey())) {
        assertEquals(SparseVector.of(indices, weights), pruned.expand(SENTENCE), c.getKey().toString());
      }
    }
  }

  @Test
  void batchesEqualSingleCalls() {
    List<String> texts = TestData.parityTexts().subList(0, 40);
    List<SparseVector> batch = expander.expandBatch(texts);
    for (int i = 0; i < texts.size(); i++) {
      SparseVector single = expander.expand(texts.get(i));
      assertArrayEquals(single.indices(), batch.get(i).indices(), "text " + i);
      assertArrayEquals(single.weights(), batch.get(i).weights(), "text " + i);
    }
  }
}
