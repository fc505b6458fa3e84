// The README's quick start as a program. With only the jar on the class path (JDK 11+ runs a source file):
//   java -cp target/spladerunner-0.1.0.jar examples/Expand.java ../../.cache/models/splade-tiny "atomic energy"
import io.github.spladerunner.Expander;
import io.github.spladerunner.Options;
import io.github.spladerunner.SparseVector;
import java.nio.file.Path;
import java.util.List;

public class Expand {
  public static void main(String[] args) {
    Path model = Path.of(args.length > 0 ? args[0] : "../../.cache/models/splade-tiny");
    String text = args.length > 1 ? args[1] : "atomic energy";
    try (Expander expander = Expander.open(model, Options.builder().topK(10).build())) {
      SparseVector vector = expander.expand(text);
      expander.tokenWeights(vector).forEach((token, weight) -> System.out.printf("%-12s %.4f%n", token, weight));
      List<SparseVector> batch = expander.expandBatch(List.of("peaceful uses", "of the atom"));
      System.out.println(batch.size() + " vectors, " + batch.get(0).size() + " terms in the first");
    }
  }
}
