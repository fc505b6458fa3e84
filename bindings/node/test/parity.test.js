'use strict';
// Parity with the core's reference vectors (.cache/reference, written by tools/reference.py): every one of the
// 130 texts of tests/data/parity_texts.json, through each way of calling, at max_length 512 (the default) and 128.
// Same ids, every weight within 1e-5.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Expander } = require('spladerunner');
const { model, reference } = require('./support.js');

const TOLERANCE = 1e-5;

function assertMatches(actual, expected, label) {
  assert.ok(actual.indices instanceof Uint32Array, `${label}: indices is a Uint32Array`);
  assert.ok(actual.weights instanceof Float32Array, `${label}: weights is a Float32Array`);
  assert.deepEqual(Array.from(actual.indices), expected.indices, `${label}: indices`);
  for (let i = 0; i < expected.weights.length; i++) {
    const diff = Math.abs(actual.weights[i] - expected.weights[i]);
    if (!(diff <= TOLERANCE)) {
      assert.fail(`${label}: weight of id ${expected.indices[i]} is ${actual.weights[i]}, ` +
        `reference ${expected.weights[i]} (difference ${diff})`);
    }
  }
}

for (const maxLength of [512, 128]) {
  test(`parity at max_length ${maxLength}`, async (t) => {
    const { texts, vectors } = reference(maxLength);
    assert.equal(texts.length, 130);
    assert.equal(vectors.length, texts.length);
    for (let i = 0; i < texts.length; i++) {
      assert.equal(vectors[i].text, texts[i], `reference line ${i} is text ${i}`);
      assert.equal(vectors[i].max_length, maxLength);
    }
    // 512 is the default: use no options there, so that the default is what is tested.
    const expander = maxLength === 512 ? new Expander(model) : new Expander(model, { maxLength });
    t.after(() => expander.close());
    assert.equal(expander.maxLength, maxLength);

    await t.test('expandSync', () => {
      texts.forEach((text, i) => assertMatches(expander.expandSync(text), vectors[i], `text ${i}`));
    });
    await t.test('expand (all at once)', async () => {
      const results = await Promise.all(texts.map((text) => expander.expand(text)));
      results.forEach((vector, i) => assertMatches(vector, vectors[i], `text ${i}`));
    });
    await t.test('expandBatch', async () => {
      const results = await expander.expandBatch(texts);
      assert.equal(results.length, texts.length);
      results.forEach((vector, i) => assertMatches(vector, vectors[i], `text ${i}`));
    });
    await t.test('expandBatchSync', () => {
      const results = expander.expandBatchSync(texts);
      assert.equal(results.length, texts.length);
      results.forEach((vector, i) => assertMatches(vector, vectors[i], `text ${i}`));
    });
  });
}

test('parity with long texts cut into overlapping windows', async () => {
  const { texts, vectors } = reference(128, 'splade-tiny.max128.windows4.overlap32.jsonl');
  const expander = new Expander(model, { maxLength: 128, maxWindows: 4, windowOverlap: 32 });
  try {
    assert.ok(texts.length > 0);
    assert.equal(texts.length, vectors.length);
    const results = await expander.expandBatch(texts);
    assert.equal(results.length, texts.length);
    results.forEach((vector, i) => assertMatches(vector, vectors[i], `text ${i}`));
    texts.forEach((text, i) => assertMatches(expander.expandSync(text), vectors[i], `text ${i}`));
  } finally {
    expander.close();
  }
});
