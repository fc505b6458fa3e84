package io.github.spladerunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** close(), use after close, close during calls, and the Cleaner for expanders never closed. */
class LifecycleTest {
  static Expander open() {
    return Expander.open(TestData.model("splade-tiny"), Options.builder().maxLength(64).build());
  }

  @Test
  void useAfterCloseThrowsIllegalStateException() {
    Expander expander = open();
    SparseVector vector = expander.expand("atomic energy");
    int before = Expander.liveHandles();
    expander.close();
    assertEquals(before - 1, Expander.liveHandles());
    assertTrue(expander.isClosed());
    assertThrows(IllegalStateException.class, () -> expander.expand("atomic energy"));
    assertThrows(IllegalStateException.class, () -> expander.expandBatch(List.of("atomic energy")));
    assertThrows(IllegalStateException.class, () -> expander.token(0));
    assertThrows(IllegalStateException.class, () -> expander.tokenWeights(vector));
    assertThrows(IllegalStateException.class, expander::vocabSize);
    assertThrows(IllegalStateException.class, expander::maxLength);
    expander.close(); // idempotent
    assertEquals(before - 1, Expander.liveHandles());
    assertFalse(vector.isEmpty()); // vectors outlive their expander
  }

  @Test
  void closeWaitsForCallsInFlightAndLaterCallsFail() throws Exception {
    List<String> texts = TestData.parityTexts();
    for (int round = 0; round < 3; round++) {
      Expander expander = open();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        CountDownLatch started = new CountDownLatch(4);
        AtomicInteger rejected = new AtomicInteger();
        List<Future<Integer>> workers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          workers.add(
              pool.submit(
                  () -> {
                    started.countDown();
                    int done = 0;
                    for (int i = 0; ; i++) {
                      try {
                        if (i % 2 == 0) {
                          expander.expand(texts.get(i % texts.size()));
                        } else {
                          expander.expandBatch(texts.subList(0, 8));
                        }
                        done++;
                      } catch (IllegalStateException e) {
                        rejected.incrementAndGet();
                        return done;
                      }
                    }
                  }));
        }
        started.await();
        Thread.sleep(50);
        expander.close(); // must not free the handle under a running call
        for (Future<Integer> worker : workers) {
          worker.get();
        }
        assertEquals(4, rejected.get());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void unclosedExpandersAreFreedByTheCleaner() throws Exception {
    int before = Expander.liveHandles();
    int count = 12;
    for (int i = 0; i < count; i++) {
      openUseAndDrop();
    }
    assertTrue(Expander.liveHandles() >= before + 1, "the expanders were counted");
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (Expander.liveHandles() > before && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(50);
    }
    assertTrue(
        Expander.liveHandles() <= before,
        "the Cleaner freed the unclosed expanders: " + Expander.liveHandles() + " live, " + before + " before");
    // And the library still works after all that freeing.
    try (Expander expander = open()) {
      assertFalse(expander.expand("atomic energy").isEmpty());
    }
  }

  private static void openUseAndDrop() {
    Expander expander = open();
    assertFalse(expander.expand("peaceful uses of atomic energy").isEmpty());
  }
}
