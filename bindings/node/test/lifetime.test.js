'use strict';
// close(), use after close, close while work is in flight, and the finalizer of an unclosed Expander.
// Run with --expose-gc (npm test does).
const test = require('node:test');
const assert = require('node:assert/strict');
const spladerunner = require('spladerunner');
const { Expander } = spladerunner;
const { model, paragraphs, plain } = require('./support.js');

const live = () => spladerunner._liveExpanders();
const CLOSED = { code: 'SPLADE_STATUS_CLOSED', status: 10 };

/** Runs the garbage collector until `done()` or `rounds` rounds; finalizers run after the collection. */
async function collectUntil(done, rounds = 50) {
  for (let i = 0; i < rounds && !done(); i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('every use after close() is a SPLADE_STATUS_CLOSED error', async () => {
  const before = live();
  const expander = new Expander(model);
  const vector = expander.expandSync('atomic energy');
  assert.equal(live(), before + 1);
  assert.equal(expander.closed, false);
  expander.close();
  assert.equal(expander.closed, true);
  assert.equal(live(), before, 'close() frees the C expander at once when no work is in flight');
  expander.close(); // again: nothing happens

  assert.throws(() => expander.expandSync('x'), CLOSED);
  assert.throws(() => expander.expandBatchSync(['x']), CLOSED);
  assert.throws(() => expander.token(0), CLOSED);
  assert.throws(() => expander.tokenWeights(vector), CLOSED);
  assert.throws(() => expander.vocabSize, CLOSED);
  assert.throws(() => expander.maxLength, CLOSED);
  await assert.rejects(expander.expand('x'), CLOSED);
  await assert.rejects(expander.expandBatch(['x']), CLOSED);
  // Wrong types are still TypeErrors, thrown before anything else.
  assert.throws(() => expander.expand(1), TypeError);
  const error = (() => { try { expander.token(1); } catch (e) { return e; } })();
  assert.ok(error instanceof Error);
  assert.match(error.message, /closed/);
});

test('close() while promises are pending: they all settle, then the expander is freed', async () => {
  const before = live();
  const expander = new Expander(model, { maxLength: 128 });
  const texts = paragraphs().slice(0, 40);
  const expected = texts.map((text) => plain(expander.expandSync(text)));
  const singles = texts.map((text) => expander.expand(text));
  const batch = expander.expandBatch(texts);
  expander.close();
  assert.equal(expander.closed, true);
  const late = assert.rejects(expander.expand('too late'), CLOSED);
  assert.equal(live(), before + 1, 'the C expander lives while its work is in flight');

  const settled = await Promise.allSettled([...singles, batch]);
  // Work accepted before close() completes normally.
  for (const [i, result] of settled.slice(0, texts.length).entries()) {
    assert.equal(result.status, 'fulfilled', `expand ${i}`);
    assert.deepEqual(plain(result.value), expected[i]);
  }
  assert.equal(settled[texts.length].status, 'fulfilled');
  assert.deepEqual(settled[texts.length].value.map(plain), expected);
  await late;
  assert.equal(live(), before, 'the last completing work freed the C expander');
});

test('an unclosed Expander is freed when garbage-collected', async () => {
  const before = live();
  const COUNT = 20;
  (() => {
    for (let i = 0; i < COUNT; i++) new Expander(model).expandSync('atomic energy');
  })();
  assert.ok(live() > before, 'the expanders are alive until collected');
  await collectUntil(() => live() === before);
  assert.equal(live(), before);
});

test('an Expander collected while its work is in flight stays alive until the work completes', async () => {
  const before = live();
  const texts = paragraphs().slice(0, 32);
  const pending = (() => {
    const expander = new Expander(model, { maxLength: 128 });
    return [expander.expandBatch(texts), ...texts.map((text) => expander.expand(text))];
  })();
  global.gc();
  const [batch, ...singles] = await Promise.all(pending);
  assert.equal(batch.length, texts.length);
  assert.deepEqual(singles.map(plain), batch.map(plain));
  await collectUntil(() => live() === before);
  assert.equal(live(), before);
});
