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
    // And a batch racing single calls: both repeat the serial results exactly (a text's vector does not depend on
    // the texts it is padded with).
    const [batch, ...singles] = await Promise.all([expander.expandBatch(TEXTS), ...TEXTS.map((x) => expander.expand(x))]);
    assert.deepEqual(singles.map(plain), serial);
    assert.deepEqual(batch.map(plain), serial);
  });
}

test('the event loop keeps running during a large expandBatch', async (t) => {
  const expander = new Expander(model, { maxLength: 128 });
  t.after(() => expander.close());
  // No clock in the test: the loop turns (a setImmediate callback that schedules itself) are counted until the
  // batch settles. Work on the main thread would settle it before the first turn, or block the turns until it
  // is done; on the thread pool the loop turns while it runs. The 300 paragraphs take tens of milliseconds, a
  // loop turn microseconds.
  const texts = paragraphs().slice(0, 300);
  let turns = 0;
  let settled = false;
  let turnsWhenSettled = -1;
  const turn = () => {
    if (settled) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  const vectors = await expander.expandBatch(texts).finally(() => {
    settled = true;
    turnsWhenSettled = turns;
  });
  assert.equal(vectors.length, texts.length);
  t.diagnostic(`expandBatch of ${texts.length} paragraphs: ${turnsWhenSettled} loop turns while it ran`);
  assert.ok(turnsWhenSettled >= 2, `the loop turned ${turnsWhenSettled} times while the batch ran`);
});
