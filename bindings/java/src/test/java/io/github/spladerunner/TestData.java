package io.github.spladerunner;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the repository's set-up ({@code bash tools/setup.sh}) put the models, the parity texts and the reference
 * vectors of {@code tools/reference.py}. The root comes from the system property {@code spladerunner.test.root}
 * (set by the pom), else {@code ../..}.
 */
final class TestData {
  static final Path ROOT =
      Path.of(System.getProperty("spladerunner.test.root", "../..")).toAbsolutePath().normalize();

  private TestData() {}

  /** A model directory under {@code .cache/models}, failing clearly when the set-up has not run. */
  static Path model(String name) {
    Path dir = ROOT.resolve(".cache/models").resolve(name);
    assertTrue(Files.isDirectory(dir), dir + " is missing: run `bash tools/setup.sh` in " + ROOT);
    return dir;
  }

  /** The 130 texts of {@code tests/data/parity_texts.json}. */
  static List<String> parityTexts() {
    return new Gson()
        .fromJson(read(ROOT.resolve("tests/data/parity_texts.json")), new TypeToken<List<String>>() {}.getType());
  }

  /** One reference vector: its text, ids and weights. */
  static final class Reference {
    final String text;
    final int[] indices;
    final float[] weights;

    Reference(String text, int[] indices, float[] weights) {
      this.text = text;
      this.indices = indices;
      this.weights = weights;
    }
  }

  /** The reference vectors of the parity texts at {@code maxLength} (512, 128 or 32). */
  static List<Reference> reference(int maxLength) {
    return reference(maxLength, "splade-tiny.max" + maxLength + ".jsonl");
  }

  /** The reference vectors in {@code .cache/reference/name}, made at {@code maxLength}. */
  static List<Reference> reference(int maxLength, String name) {
    Path path = ROOT.resolve(".cache/reference/" + name);
    assertTrue(Files.isRegularFile(path), path + " is missing: run `bash tools/setup.sh` in " + ROOT);
    Gson gson = new Gson();
    List<Reference> references = new ArrayList<>();
    for (String line : read(path).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonObject o = gson.fromJson(line, JsonObject.class);
      if (o.get("max_length").getAsInt() != maxLength) {
        throw new IllegalStateException(path + ": a line for max_length " + o.get("max_length"));
      }
      JsonArray ids = o.getAsJsonArray("indices");
      JsonArray ws = o.getAsJsonArray("weights");
      int[] indices = new int[ids.size()];
      float[] weights = new float[ws.size()];
      for (int i = 0; i < indices.length; i++) {
        indices[i] = ids.get(i).getAsInt();
      }
      for (int i = 0; i < weights.length; i++) {
        weights[i] = (float) ws.get(i).getAsDouble();
      }
      references.add(new Reference(o.get("text").getAsString(), indices, weights));
    }
    return references;
  }

  private static String read(Path path) {
    try {
      return Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
