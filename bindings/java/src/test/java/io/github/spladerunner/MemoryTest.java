package io.github.spladerunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** Expanders dropped without close(): the collection requests that keep native memory bounded, and the warning. */
class MemoryTest {
  static final int COUNT = 300;

  /**
   * MiB: well above the peak with the collection requests, far below where the expanders go without them
   * within the first few dozen (the binding's README has both figures).
   */
  static final double CEILING_MB = 1024;

  @Test
  void unclosedExpandersInASmallHeapStayUnderTheCeiling() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child =
        new ProcessBuilder(
                java.toString(),
                "-Xmx64m",
                "-cp",
                System.getProperty("java.class.path"),
                UnclosedExpanders.class.getName(),
                TestData.model("splade-tiny").toString(),
                String.valueOf(COUNT),
                String.valueOf(CEILING_MB))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    child.getInputStream().transferTo(out);
    int status = child.waitFor();
    String[] result = out.toString(StandardCharsets.UTF_8).trim().split(" ");
    assertEquals(0, status, "the child passed " + CEILING_MB + " MiB after " + result[0] + " expanders");
    assertEquals(String.valueOf(COUNT), result[0]);
    assertTrue(Double.parseDouble(result[1]) <= CEILING_MB, "peak " + result[1] + " MiB");
  }

  @Test
  void anExpanderCollectedUnclosedLogsAWarningNamingWhereItWasOpened() throws Exception {
    // System.Logger's default back end is java.util.logging; the logger is held here so that it keeps the handler.
    Logger logger = Logger.getLogger("io.github.spladerunner");
    List<LogRecord> records = new ArrayList<>();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            synchronized (records) {
              records.add(record);
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    logger.addHandler(handler);
    boolean parents = logger.getUseParentHandlers();
    logger.setUseParentHandlers(false); // the expected warning, kept off the console
    try {
      Expander.open(TestData.model("splade-tiny")).close(); // closed: no warning
      openAndDrop();
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (warnings(records).isEmpty() && System.nanoTime() < deadline) {
        System.gc();
        Thread.sleep(50);
      }
      List<LogRecord> warnings = warnings(records);
      assertEquals(1, warnings.size(), "one warning, for the expander dropped unclosed");
      LogRecord warning = warnings.get(0);
      assertTrue(warning.getMessage().contains("without close()"), warning.getMessage());
      assertNotNull(warning.getThrown(), "the warning carries the stack that opened the expander");
      StringWriter stack = new StringWriter();
      warning.getThrown().printStackTrace(new PrintWriter(stack));
      assertTrue(
          stack.toString().contains("MemoryTest.openAndDrop(MemoryTest.java:"),
          "the warning names the method that opened the expander:\n" + stack);
    } finally {
      logger.removeHandler(handler);
      logger.setUseParentHandlers(parents);
    }
  }

  private static void openAndDrop() {
    Expander.open(TestData.model("splade-tiny")).expand("atomic energy");
  }

  private static List<LogRecord> warnings(List<LogRecord> records) {
    synchronized (records) {
      return records.stream()
          .filter(r -> r.getLevel() == Level.WARNING && r.getMessage().contains("garbage-collected"))
          .toList();
    }
  }
}
