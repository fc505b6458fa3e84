package io.github.spladerunner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The core benchmark's document measurement ({@code cargo run --release --example bench}) through the Java
 * binding: documents per second for batches of 32 paragraphs at max_length 256, timed over the whole file once,
 * after the load. Not a Surefire test. From bindings/java, after {@code mvn -B test-compile} (or {@code test}):
 *
 * <pre>
 * java -cp target/classes:target/test-classes io.github.spladerunner.Bench [--model DIR] [--docs FILE]
 *     [--batch N] [--max-length N] [--threads N] [--rounds N]
 * </pre>
 *
 * or {@code mvn -q exec:java -Dexec.args="..."}. Defaults: splade-tiny, {@code ../../../shared/data/bench/
 * paragraphs.txt} (the core's default file), batch 32, max_length 256, ONNX Runtime's default threads, 1 round.
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) throws IOException {
    // The repository root: as the tests find it (the pom's property under Maven), else ../.. from bindings/java.
    Path root = Path.of(System.getProperty("spladerunner.test.root", "../..")).toAbsolutePath().normalize();
    Path model = root.resolve(".cache/models/splade-tiny");
    Path docsFile = root.resolve("../shared/data/bench/paragraphs.txt").normalize();
    int batch = 32;
    int maxLength = 256;
    Integer threads = null;
    int rounds = 1;
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(args[i] + " needs a value");
      }
      String value = args[i + 1];
      switch (args[i]) {
        case "--model":
          model = Path.of(value);
          break;
        case "--docs":
          docsFile = Path.of(value);
          break;
        case "--batch":
          batch = Integer.parseInt(value);
          break;
        case "--max-length":
          maxLength = Integer.parseInt(value);
          break;
        case "--threads":
          threads = Integer.parseInt(value);
          break;
        case "--rounds":
          rounds = Integer.parseInt(value);
          break;
        default:
          throw new IllegalArgumentException("unknown flag " + args[i]);
      }
    }
    // Like Rust's str::lines: split on \n, drop a trailing \r, no empty last line.
    List<String> docs = Files.readString(docsFile, StandardCharsets.UTF_8).lines().toList();

    Options.Builder options = Options.builder().maxLength(maxLength);
    if (threads != null) {
      options.intraOpThreads(threads);
    }
    long start = System.nanoTime();
    try (Expander expander = Expander.open(model, options.build())) {
      double loadS = (System.nanoTime() - start) / 1e9;
      System.out.printf("model            %s%n", model);
      System.out.printf("load             %.3f s%n", loadS);
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      for (int round = 0; round < rounds; round++) {
        long cpu = os.getProcessCpuTime();
        start = System.nanoTime();
        long terms = 0;
        for (int i = 0; i < docs.size(); i += batch) {
          for (SparseVector vector : expander.expandBatch(docs.subList(i, Math.min(i + batch, docs.size())))) {
            terms += vector.size();
          }
        }
        double docsS = (System.nanoTime() - start) / 1e9;
        double cpuS = (os.getProcessCpuTime() - cpu) / 1e9;
        System.out.printf(
            "documents        %d in %.2f s = %.1f docs/s (batch %d, max_length %d, %.1f terms/doc; process CPU"
                + " %.2f s)%n",
            docs.size(), docsS, docs.size() / docsS, batch, maxLength, (double) terms / docs.size(), cpuS);
      }
    }
  }
}
