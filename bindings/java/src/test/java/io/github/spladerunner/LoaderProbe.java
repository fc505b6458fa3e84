package io.github.spladerunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Run in a fresh JVM by {@link NativeLoaderTest}: opens the model given as the argument, expands one text, and
 * prints where the native libraries came from, the number of terms, and how many directories the loader
 * extracted into {@code java.io.tmpdir}.
 */
public final class LoaderProbe {
  private LoaderProbe() {}

  public static void main(String[] args) throws IOException {
    try (Expander expander = Expander.open(Path.of(args[0]))) {
      int terms = expander.expand("atomic energy").size();
      System.out.println("loaded from " + NativeLoader.loadedFrom());
      System.out.println("terms " + terms);
    }
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      long extracted = files.filter(p -> p.getFileName().toString().startsWith("spladerunner-")).count();
      System.out.println("extracted directories " + extracted);
    }
  }
}
