'use strict';
// The async methods run on the libuv thread pool: many calls at once give the serial results, and the event
// loop keeps running while they work.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Expander } = require('spladerunner');
const { model, reference, paragraphs, plain } = require('./support.js');

// 130 varied texts and 70 paragraphs.
const TEXTS = reference(128).texts.concat(paragraphs().slice(0, 70));

for (const sessions of [1, 2]) {
  test(`200 concurrent expand() calls give the serial results (sessions ${sessions})`, async (t) => {
    const expander = new Expander(model, { maxLength: 128, sessions });
    t.after(() => expander.close());
    assert.equal(TEXTS.length, 200);
    const serial = TEXTS.map((text) => plain(expander.expandSync(text)));
    const concurrent = await Promise.all(TEXTS.map((text) => expander.expand(text)));
    assert.deepEqual(concurrent.map(plain), serial);
    // And batches racing single calls. Single calls repeat the serial results exactly; a batch pads texts into
    // other shapes, where ONNX Runtime's threads may split the work differently and round the last bit of a
    // weight otherwise, so the batch gets the parity tolerance: the same ids, weights within 1e-5.
    const [batch, ...singles] = await Promise.all([expander.expandBatch(TEXTS), ...TEXTS.map((x) => expander.expand(x))]);
    assert.deepEqual(singles.map(plain), serial);
    batch.map(plain).forEach((vector, i) => {
      assert.deepEqual(vector.indices, serial[i].indices, `text ${i}: ids`);
      vector.weights.forEach((w, j) => assert.ok(Math.abs(w - serial[i].weights[j]) <= 1e-5, `text ${i}: weight ${j}`));
    });
  });
}

test('the event loop keeps running during a large expandBatch', async (t) => {
  const expander = new Expander(model, { maxLength: 128 });
  t.after(() => expander.close());
  // All 2,000 paragraphs: 300 took 171 ms once the library tokenized ASCII text faster, under the 200 ms the
  // test needs to see the loop tick while the batch runs.
  const texts = paragraphs();
  const INTERVAL_MS = 10;
  let ticks = 0;
  let last = performance.now();
  let longestGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, INTERVAL_MS);
  const start = performance.now();
  let vectors;
  try {
    vectors = await expander.expandBatch(texts);
  } finally {
    clearInterval(timer);
  }
  const elapsed = performance.now() - start;
  assert.equal(vectors.length, texts.length);
  t.diagnostic(`expandBatch of ${texts.length} paragraphs: ${elapsed.toFixed(0)} ms, ${ticks} ticks of ` +
    `${INTERVAL_MS} ms, longest gap ${longestGap.toFixed(0)} ms`);
  // A blocked loop would tick at most once. Allow for a busy machine: a quarter of the ideal count.
  assert.ok(elapsed > 20 * INTERVAL_MS, `the batch should take a while (${elapsed} ms)`);
  assert.ok(ticks >= Math.floor(elapsed / INTERVAL_MS / 4), `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
  assert.ok(longestGap < elapsed / 2, `the longest gap between ticks was ${longestGap.toFixed(0)} ms`);
});
