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
import java.util.stream.Stream;

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

  /**
   * splade-tiny made, in {@code dir}, into a model of which two ids share a token string, which no shipped model
   * has: its tokenizer's ids 1 and 2 ({@code [unused0]}, {@code [unused1]}) moved to 30522 and 30523. The vocabulary
   * keeps its size (30522, the model's), and ids 1 and 2 have no token, so both read as {@code ""}. The other
   * files are copies of splade-tiny's (links would make JUnit's {@code @TempDir} clean-up warn).
   */
  static Path sharedTokenModel(Path dir) {
    Path source = model("splade-tiny");
    try (Stream<Path> files = Files.list(source)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (!file.getFileName().toString().equals("tokenizer.json")) {
          Files.copy(file, dir.resolve(file.getFileName()));
        }
      }
      JsonObject tokenizer = new Gson().fromJson(read(source.resolve("tokenizer.json")), JsonObject.class);
      JsonObject vocab = tokenizer.getAsJsonObject("model").getAsJsonObject("vocab");
      assertTrue(vocab.get("[unused0]").getAsInt() == 1 && vocab.get("[unused1]").getAsInt() == 2);
      vocab.addProperty("[unused0]", 30522);
      vocab.addProperty("[unused1]", 30523);
      Files.writeString(dir.resolve("tokenizer.json"), new Gson().toJson(tokenizer), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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

  /** The text of a UTF-8 file. */
  static String read(Path path) {
    try {
      return Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
