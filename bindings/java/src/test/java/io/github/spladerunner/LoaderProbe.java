package io.github.spladerunner;

import java.nio.file.Path;

/**
 * Run in a fresh JVM by {@link NativeLoaderTest}: opens the model given as the argument, expands one text, and
 * prints where the native libraries came from and the number of terms.
 */
public final class LoaderProbe {
  private LoaderProbe() {}

  public static void main(String[] args) {
    try (Expander expander = Expander.open(Path.of(args[0]))) {
      int terms = expander.expand("atomic energy").size();
      System.out.println("loaded from " + NativeLoader.loadedFrom());
      System.out.println("terms " + terms);
    }
  }
}
