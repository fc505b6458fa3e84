package io.github.spladerunner;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * Loads the native libraries once per class loader, trying in order:
 *
 * <ol>
 *   <li>the directory named by the system property {@value #PATH_PROPERTY}, if set (and then only it);
 *   <li>the jar's resources under {@code native/<os>-<arch>/}, extracted to a new private temporary directory;
 *   <li>{@code System.loadLibrary("spladerunner_jni")}, which searches {@code java.library.path}.
 * </ol>
 *
 * <p>In a directory (the first two cases), {@code libspladerunner.so.0.1} (or else {@code libspladerunner.so}) is
 * loaded first by absolute path, so that the glue's NEEDED entry, the SONAME {@code libspladerunner.so.0.1}, is
 * already satisfied; then {@code libspladerunner_jni.so}. ONNX Runtime is not loaded here: spladerunner opens
 * {@code libonnxruntime.so} from beside itself when the first {@link Expander} opens, unless the {@code
 * ortLibraryPath} option or {@code ORT_DYLIB_PATH} names another. So the directory should hold it too.
 */
final class NativeLoader {
  /** The system property naming a directory that holds the native libraries. */
  static final String PATH_PROPERTY = "spladerunner.library.path";

  static final String SONAME = "libspladerunner.so.0.1";
  static final String CORE = "libspladerunner.so";
  static final String GLUE = "libspladerunner_jni.so";
  static final String ONNX_RUNTIME = "libonnxruntime.so";
  /** The files of the jar's resource directory, in the order they are extracted. */
  static final List<String> RESOURCES = List.of(SONAME, GLUE, ONNX_RUNTIME);

  /** Where the libraries were loaded from, for messages and tests: a directory or "java.library.path". */
  private static volatile String loadedFrom;

  private NativeLoader() {}

  /** The failure of the first attempt, thrown again by every later one (a half-loaded state is not retried). */
  private static UnsatisfiedLinkError failure;

  /**
   * True while {@link #tryLoad} runs. Loading the glue runs its {@code JNI_OnLoad}, which initializes {@link
   * Native}, whose static block calls {@link #load} again on this thread (the lock is reentrant): that call must
   * return, not load (and extract) the libraries a second time.
   */
  private static boolean loading;

  /**
   * Loads the libraries unless done; throws {@link UnsatisfiedLinkError} when they cannot be loaded, on this and
   * on every later call.
   */
  static synchronized void load() {
    if (loadedFrom != null) {
      return;
    }
    if (failure != null) {
      UnsatisfiedLinkError again = new UnsatisfiedLinkError(failure.getMessage());
      again.initCause(failure);
      throw again;
    }
    if (loading) {
      return;
    }
    loading = true;
    try {
      tryLoad();
    } catch (UnsatisfiedLinkError e) {
      failure = e;
      throw e;
    } finally {
      loading = false;
    }
  }

  private static void tryLoad() {
    String property = System.getProperty(PATH_PROPERTY);
    if (property != null && !property.isEmpty()) {
      Path dir = Path.of(property).toAbsolutePath();
      try {
        loadFrom(dir);
      } catch (UnsatisfiedLinkError e) {
        throw chained(
            "spladerunner: cannot load the native libraries from " + dir + " (system property "
                + PATH_PROPERTY + ")",
            e);
      }
      loadedFrom = dir.toString();
      return;
    }
    String resourceDir = "/native/" + platform() + "/";
    UnsatisfiedLinkError extractionFailure = null;
    if (NativeLoader.class.getResource(resourceDir + GLUE) != null) {
      try {
        Path dir = extract(resourceDir);
        loadFrom(dir);
        loadedFrom = dir.toString();
        return;
      } catch (UnsatisfiedLinkError | UncheckedIOException e) {
        extractionFailure =
            chained("spladerunner: cannot load the native libraries of the jar (" + resourceDir + ")", e);
      }
    }
    try {
      System.loadLibrary("spladerunner_jni");
      loadedFrom = "java.library.path";
    } catch (UnsatisfiedLinkError e) {
      UnsatisfiedLinkError error =
          extractionFailure != null
              ? extractionFailure
              : new UnsatisfiedLinkError(
                  "spladerunner: no native libraries for " + platform() + " in the jar (" + resourceDir
                      + "), no system property " + PATH_PROPERTY + ", and " + e.getMessage());
      error.addSuppressed(e);
      throw error;
    }
  }

  /** Where the libraries came from, once loaded (null before). */
  static String loadedFrom() {
    return loadedFrom;
  }

  /** {@code linux-x86_64}, {@code linux-aarch64}, ...: the resource directory for this JVM. */
  static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    if (os.startsWith("linux")) {
      os = "linux";
    } else if (os.startsWith("mac") || os.startsWith("darwin")) {
      os = "macos";
    } else if (os.startsWith("windows")) {
      os = "windows";
    }
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    switch (arch) {
      case "amd64":
      case "x86_64":
        arch = "x86_64";
        break;
      case "aarch64":
      case "arm64":
        arch = "aarch64";
        break;
      default:
        break;
    }
    return os + "-" + arch;
  }

  private static void loadFrom(Path dir) {
    Path core = dir.resolve(SONAME);
    if (!Files.exists(core)) {
      core = dir.resolve(CORE);
    }
    System.load(core.toString());
    System.load(dir.resolve(GLUE).toString());
  }

  /**
   * Copies the resource libraries into a new directory of its own ({@code Files.createTempDirectory}: a unique
   * name, owner-only permissions), so JVMs starting at once never share or overwrite files. The files stay until
   * the JVM exits (ONNX Runtime is opened from there later, and a loaded library is found by its path), then are
   * deleted.
   */
  private static Path extract(String resourceDir) {
    try {
      Path dir = Files.createTempDirectory("spladerunner-");
      dir.toFile().deleteOnExit(); // registered first, so deleted last, once empty
      for (String name : RESOURCES) {
        Path file = dir.resolve(name);
        try (InputStream in = NativeLoader.class.getResourceAsStream(resourceDir + name)) {
          if (in == null) {
            throw new IOException("the jar has no resource " + resourceDir + name);
          }
          file.toFile().deleteOnExit();
          Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("spladerunner: cannot extract the native libraries: " + e.getMessage(), e);
    }
  }

  private static UnsatisfiedLinkError chained(String message, Throwable cause) {
    UnsatisfiedLinkError error = new UnsatisfiedLinkError(message + ": " + cause.getMessage());
    error.initCause(cause);
    return error;
  }
}
