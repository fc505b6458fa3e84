package io.github.spladerunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The child JVM of {@link MemoryTest}: opens {@code count} expanders and drops each without {@code close()},
 * never calling the collector itself, and prints {@code opened peakMb}: how many it opened and the largest
 * resident set size seen, in MiB. It stops early, exiting 1, once the resident set passes {@code ceilingMb}, so a
 * leak ends the run quickly. Arguments: the model directory, {@code count}, {@code ceilingMb}.
 */
final class UnclosedExpanders {
  /**
   * The binding's logger, silenced: its expected warnings, one per expander, would flood the parent's output. Held
   * here so that the level stays set.
   */
  private static final Logger LOGGER = Logger.getLogger("io.github.spladerunner");

  private UnclosedExpanders() {}

  public static void main(String[] args) throws IOException {
    LOGGER.setLevel(Level.OFF);
    Path model = Path.of(args[0]);
    int count = Integer.parseInt(args[1]);
    double ceilingMb = Double.parseDouble(args[2]);
    Options options = Options.builder().intraOpThreads(1).build();
    double peakMb = 0;
    for (int i = 0; i < count; i++) {
      Expander.open(model, options).expand("atomic energy");
      peakMb = Math.max(peakMb, residentMb());
      if (peakMb > ceilingMb) {
        System.out.println((i + 1) + " " + peakMb);
        System.exit(1);
      }
    }
    System.out.println(count + " " + peakMb);
  }

  /** VmRSS of /proc/self/status, in MiB. */
  private static double residentMb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    throw new IOException("no VmRSS in /proc/self/status");
  }
}
