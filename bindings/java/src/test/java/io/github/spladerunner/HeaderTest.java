package io.github.spladerunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The facts the binding restates from the C header, read from {@code include/spladerunner.h} itself: every
 * status and every option setter of the header is in the binding, and the binding has no other.
 */
class HeaderTest {
  static final String HEADER = TestData.read(TestData.ROOT.resolve("include/spladerunner.h"));

  @Test
  void statusesAreTheHeadersNamesAndNumbers() {
    Map<String, Integer> header = new TreeMap<>();
    Matcher m = Pattern.compile("(?m)^\\s*SPLADE_STATUS_([A-Z0-9_]+) = (\\d+),$").matcher(HEADER);
    while (m.find()) {
      header.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    assertTrue(header.size() >= 12, "only " + header.size() + " statuses read from the header");
    Map<String, Integer> ours = new TreeMap<>();
    for (Status status : Status.values()) {
      if (status != Status.UNKNOWN) {
        ours.put(status.name(), status.number());
      }
    }
    assertEquals(header, ours);
  }

  @Test
  void optionsAreTheHeadersSetters() {
    Set<String> header = new TreeSet<>();
    Matcher m = Pattern.compile("\\bsplade_options_set_(\\w+)\\(").matcher(HEADER);
    while (m.find()) {
      header.add(m.group(1));
    }
    assertTrue(header.size() >= 10, "only " + header.size() + " option setters read from the header");
    // Options.Builder's setters, and the glue's methods they call (Options.toNative), one per C setter.
    Set<String> builder =
        Arrays.stream(Options.Builder.class.getDeclaredMethods())
            .filter(method -> Modifier.isPublic(method.getModifiers()))
            .filter(method -> method.getReturnType() == Options.Builder.class)
            .map(method -> snakeCase(method.getName()))
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(header, builder, "Options.Builder");
    Set<String> glue =
        Arrays.stream(Native.class.getDeclaredMethods())
            .map(Method::getName)
            .filter(name -> name.startsWith("optionsSet"))
            .map(name -> snakeCase(name.substring("optionsSet".length())))
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(header, glue, "Native.optionsSet*");
  }

  /** The C name of a Java one: {@code "intraOpThreads"} → {@code "intra_op_threads"}, {@code "TopK"} → {@code "top_k"}. */
  static String snakeCase(String name) {
    return name.replaceAll("(?<=.)(\\p{Lu})", "_$1").toLowerCase(Locale.ROOT);
  }
}
