package io.github.spladerunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loading order, each case in a fresh JVM (a JVM loads the libraries once): the system property's directory
 * first, then the jar's (here: target/classes') resources, then java.library.path.
 */
class NativeLoaderTest {
  static final String TERMS = "terms " + expectedTerms();

  static int expectedTerms() {
    try (Expander expander = Expander.open(TestData.model("splade-tiny"))) {
      return expander.expand("atomic energy").size();
    }
  }

  static Path location(Class<?> cls) throws URISyntaxException {
    return Path.of(cls.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /** target/classes/native/linux-x86_64: the three libraries the jar carries. */
  static Path resourceLibraries() throws URISyntaxException {
    return location(Expander.class).resolve("native").resolve(NativeLoader.platform());
  }

  static String run(String classPath, String... jvmOptions) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
    command.addAll(List.of(jvmOptions));
    command.addAll(
        List.of("-cp", classPath, LoaderProbe.class.getName(), TestData.model("splade-tiny").toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("ORT_DYLIB_PATH");
    Process process = builder.start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the probe JVM finished");
    assertEquals(0, process.exitValue(), String.join(" ", command) + "\n" + output);
    return output;
  }

  static String testClassPath() throws URISyntaxException {
    return location(Expander.class) + File.pathSeparator + location(LoaderProbe.class);
  }

  @Test
  void jarResourcesAreExtractedToAPrivateTemporaryDirectory(@TempDir Path tmp) throws Exception {
    String output = run(testClassPath(), "-Djava.io.tmpdir=" + tmp);
    assertTrue(output.contains(TERMS), output);
    Path prefix = tmp.resolve("spladerunner-");
    assertTrue(output.contains("loaded from " + prefix), output);
    // Once: loading the glue initializes Native, whose static block must not load (and extract) them again.
    assertTrue(output.contains("extracted directories 1\n"), output);
    // Deleted when that JVM exited.
    String dir = output.lines().filter(l -> l.startsWith("loaded from ")).findFirst().orElseThrow().substring(12);
    assertFalse(Files.exists(Path.of(dir)), dir + " is left behind");
  }

  @Test
  void theSystemPropertyDirectoryComesFirst(@TempDir Path dir) throws Exception {
    // A copy, to tell it from the resources: the three libraries under the names the jar uses.
    Path libs = Files.createDirectory(dir.resolve("libs"));
    for (String name : NativeLoader.RESOURCES) {
      Files.copy(resourceLibraries().resolve(name), libs.resolve(name));
    }
    String output = run(testClassPath(), "-D" + NativeLoader.PATH_PROPERTY + "=" + libs);
    assertTrue(output.contains("loaded from " + libs), output);
    assertTrue(output.contains(TERMS), output);
  }

  @Test
  void aWrongSystemPropertyDirectoryFailsClearly(@TempDir Path dir) throws Exception {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-D" + NativeLoader.PATH_PROPERTY + "=" + dir,
            "-cp",
            testClassPath(),
            LoaderProbe.class.getName(),
            TestData.model("splade-tiny").toString());
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS));
    assertTrue(process.exitValue() != 0, output);
    assertTrue(output.contains("UnsatisfiedLinkError") && output.contains(NativeLoader.PATH_PROPERTY), output);
  }

  @Test
  void withoutResourcesJavaLibraryPathIsUsed(@TempDir Path dir) throws Exception {
    // The classes alone, without native/ (as if the jar had no libraries for this platform).
    Path classes = location(Expander.class);
    Path copy = dir.resolve("classes");
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path relative = classes.relativize(file);
        if (relative.startsWith("native")) {
          continue;
        }
        if (Files.isDirectory(file)) {
          Files.createDirectories(copy.resolve(relative.toString()));
        } else {
          Files.copy(file, copy.resolve(relative.toString()));
        }
      }
    }
    String output =
        run(
            copy + File.pathSeparator + location(LoaderProbe.class),
            "-Djava.library.path=" + resourceLibraries());
    assertTrue(output.contains("loaded from java.library.path"), output);
    assertTrue(output.contains(TERMS), output);
  }
}
