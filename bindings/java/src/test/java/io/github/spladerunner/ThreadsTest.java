package io.github.spladerunner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * One Expander shared by 16 threads gives every thread the serial results, exactly. Half the threads call
 * expand, half expandBatch on fixed chunks of 7 texts (a batch's padding may change the last bits, so batches are
 * compared with the same batches run serially); each thread starts at a different place, so calls interleave.
 */
class ThreadsTest {
  static final int THREADS = 16;
  static final int CHUNK = 7;

  @Test
  void sixteenThreadsSharingOneExpanderGetTheSerialResults() throws Exception {
    List<String> texts = TestData.parityTexts();
    int n = texts.size();
    List<List<String>> chunks = new ArrayList<>();
    for (int k = 0; k < n; k += CHUNK) {
      chunks.add(texts.subList(k, Math.min(k + CHUNK, n)));
    }
    try (Expander expander =
        Expander.open(TestData.model("splade-tiny"), Options.builder().maxLength(128).build())) {
      List<SparseVector> serialSingle = new ArrayList<>();
      for (String text : texts) {
        serialSingle.add(expander.expand(text));
      }
      List<List<SparseVector>> serialChunks = new ArrayList<>();
      for (List<String> chunk : chunks) {
        serialChunks.add(expander.expandBatch(chunk));
      }

      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<SparseVector>>> results = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          final int thread = t;
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    List<SparseVector> out = new ArrayList<>();
                    if (thread % 2 == 0) {
                      for (int k = 0; k < n; k++) {
                        out.add(null);
                      }
                      for (int k = 0; k < n; k++) {
                        int i = (k + thread * 17) % n;
                        out.set(i, expander.expand(texts.get(i)));
                      }
                    } else {
                      List<List<SparseVector>> got = new ArrayList<>();
                      for (int k = 0; k < chunks.size(); k++) {
                        got.add(null);
                      }
                      for (int k = 0; k < chunks.size(); k++) {
                        int c = (k + thread * 3) % chunks.size();
                        got.set(c, expander.expandBatch(chunks.get(c)));
                      }
                      got.forEach(out::addAll);
                    }
                    return out;
                  }));
        }
        start.countDown();
        for (int t = 0; t < THREADS; t++) {
          List<SparseVector> got = results.get(t).get();
          for (int i = 0; i < n; i++) {
            SparseVector expected =
                t % 2 == 0 ? serialSingle.get(i) : serialChunks.get(i / CHUNK).get(i % CHUNK);
            assertEquals(expected, got.get(i), "thread " + t + ", text " + i);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
