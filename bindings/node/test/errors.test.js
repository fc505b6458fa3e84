'use strict';
// Wrong argument types throw TypeError synchronously; failures of the C library carry its status.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Expander, statusName } = require('spladerunner');
const { model, models, plain, sharedTokenModel } = require('./support.js');

const TYPE_ERROR = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };

test('wrong argument types throw TypeError synchronously', async (t) => {
  const expander = new Expander(model);
  t.after(() => expander.close());
  for (const bad of [undefined, null, 1, {}, ['x'], Buffer.from('x')]) {
    assert.throws(() => new Expander(bad), TYPE_ERROR, `modelDir ${String(bad)}`);
    assert.throws(() => expander.expandSync(bad), TYPE_ERROR);
    assert.throws(() => expander.expand(bad), TYPE_ERROR, 'expand throws, it does not reject');
  }
  for (const bad of [undefined, null, 'x', 1, { length: 1, 0: 'x' }, [1], ['x', null], ['x', ['y']]]) {
    assert.throws(() => expander.expandBatchSync(bad), TYPE_ERROR);
    assert.throws(() => expander.expandBatch(bad), TYPE_ERROR);
  }
  assert.throws(() => expander.expandBatchSync(['a', 'b', 3]), /texts\[2\] must be a string/);
  for (const bad of [undefined, '1', 1n, {}]) assert.throws(() => expander.token(bad), TYPE_ERROR);
  // Like toJson, tokenWeights takes the typed arrays expand() returns.
  const plainArrays = { indices: [1], weights: [1] };
  for (const bad of [undefined, null, 'x', {}, { indices: [1, 2], weights: [1] }, plainArrays]) {
    assert.throws(() => expander.tokenWeights(bad), TYPE_ERROR);
  }
  assert.throws(() => expander.tokenWeights({ indices: new Uint32Array(2), weights: new Float32Array(1) }),
    { name: 'TypeError', message: /differ in length/ });
  assert.throws(() => new Expander(model, 'maxLength=128'), TYPE_ERROR);
  assert.throws(() => new Expander(model, { maxLength: '128' }), TYPE_ERROR);
  assert.throws(() => new Expander(model, { minWeight: '0.1' }), TYPE_ERROR);
  assert.throws(() => new Expander(model, { ortLibraryPath: 1 }), TYPE_ERROR);
  assert.throws(() => new Expander(model, { maxlength: 128 }), { name: 'TypeError', message: /unknown option 'maxlength'/ });
  assert.throws(() => new Expander(model + '\0x'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => Expander(model), TypeError, 'a class: needs new');
  assert.throws(() => Expander.prototype.expandSync.call({}, 'x'), TypeError);
  assert.throws(() => Expander.prototype.close.call(null), TypeError);
});

test('a bad model directory throws an error naming the C status', () => {
  const cases = [
    [path.join(models, 'does-not-exist'), 'SPLADE_STATUS_MODEL_NOT_FOUND', 4],
    [path.join(models, 'bad-output-shape'), 'SPLADE_STATUS_INVALID_MODEL', 5],
    [path.join(models, 'vocab-mismatch'), 'SPLADE_STATUS_INVALID_MODEL', 5],
    [path.join(models, 'bad-input-name'), 'SPLADE_STATUS_INVALID_MODEL', 5],
  ];
  for (const [dir, code, status] of cases) {
    assert.throws(() => new Expander(dir), (error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.code, code, dir);
      assert.equal(error.status, status);
      assert.equal(statusName(status), code);
      assert.ok(error.message.length > 0);
      return true;
    });
  }
});

test('option values are checked by the C library', () => {
  const invalid = { code: 'SPLADE_STATUS_INVALID_ARGUMENT', status: 2 };
  assert.throws(() => new Expander(model, { sessions: 0 }), invalid);
  assert.throws(() => new Expander(model, { tokenBudget: 0 }), invalid);
  assert.throws(() => new Expander(model, { maxLength: 513 }), invalid);
  assert.throws(() => new Expander(model, { minWeight: -1 }), invalid);
  assert.throws(() => new Expander(model, { minWeight: NaN }), invalid);
  assert.throws(() => new Expander(model, { maxRatio: 1.5 }), invalid);
  assert.throws(() => new Expander(model, { maxRatio: NaN }), invalid);
  assert.throws(() => new Expander(model, { alphaMass: 0 }), invalid);
  assert.throws(() => new Expander(model, { alphaMass: -0.1 }), invalid);
  assert.throws(() => new Expander(model, { alphaMass: '0.5' }), TYPE_ERROR);
  // Numbers a size_t cannot hold get the same status.
  assert.throws(() => new Expander(model, { topK: -1 }), invalid);
  assert.throws(() => new Expander(model, { topK: 1.5 }), invalid);
  assert.throws(() => new Expander(model, { ortLibraryPath: '/nonexistent/libonnxruntime.so' }),
    { code: 'SPLADE_STATUS_RUNTIME_UNAVAILABLE', status: 7 });
});

test('options reach the C library', async (t) => {
  const expander = new Expander(model, {
    maxLength: 64, topK: 10, minWeight: 0.5, intraOpThreads: 1, sessions: 2, tokenBudget: 256,
    ortLibraryPath: undefined,
  });
  t.after(() => expander.close());
  assert.equal(expander.maxLength, 64);
  const texts = ['atomic energy and the manhattan project', 'peace'];
  const vectors = await expander.expandBatch(texts);
  const defaults = new Expander(model, { maxLength: null, topK: undefined });
  t.after(() => defaults.close());
  assert.equal(defaults.maxLength, 512);
  // Each vector is the full one (as short texts, under either max_length) pruned by hand: the 10 heaviest terms
  // of weight at least 0.5, ids ascending.
  for (const [i, text] of texts.entries()) {
    const full = plain(defaults.expandSync(text));
    const kept = full.indices
      .map((id, j) => [id, full.weights[j]])
      .filter(([, w]) => w >= 0.5)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .sort((a, b) => a[0] - b[0]);
    assert.ok(kept.length > 0, `text ${i} keeps some term`);
    assert.deepEqual(plain(vectors[i]), { indices: kept.map(([id]) => id), weights: kept.map(([, w]) => w) });
  }
});

test('maxRatio and alphaMass prune as the rules say', async (t) => {
  const text = 'The Manhattan Project and its atomic bomb helped bring an end to World War II.';
  const defaults = new Expander(model);
  t.after(() => defaults.close());
  const full = plain(defaults.expandSync(text));
  const terms = full.indices.map((id, j) => [id, full.weights[j]]);
  const vector = (kept) => ({ indices: kept.map(([id]) => id), weights: kept.map(([, w]) => w) });
  // maxRatio: the weights >= 0.3 × the largest, the product rounded to float32 as the C library computes it.
  const largest = Math.max(...full.weights);
  const byRatio = terms.filter(([, w]) => w >= Math.fround(Math.fround(0.3) * largest));
  // alphaMass: the fewest heaviest terms (ties to the smaller id) whose sum reaches half the total.
  const ranked = [...terms].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const total = ranked.reduce((sum, [, w]) => sum + w, 0);
  const byMass = [];
  let sum = 0;
  for (const term of ranked) {
    if (sum >= 0.5 * total) break;
    sum += term[1];
    byMass.push(term);
  }
  byMass.sort((a, b) => a[0] - b[0]);
  for (const [options, kept] of [[{ maxRatio: 0.3 }, byRatio], [{ alphaMass: 0.5 }, byMass]]) {
    assert.ok(kept.length > 0 && kept.length < terms.length, `${JSON.stringify(options)} prunes some terms`);
    const pruned = new Expander(model, options);
    t.after(() => pruned.close());
    assert.deepEqual(plain(await pruned.expand(text)), vector(kept), JSON.stringify(options));
  }
});

test('ids, tokens and token weights', async (t) => {
  const expander = new Expander(model);
  t.after(() => expander.close());
  assert.equal(expander.vocabSize, 30522);
  assert.equal(expander.token(0), '[PAD]');
  assert.equal(expander.token(expander.vocabSize - 1), '##～');
  const outOfRange = { code: 'SPLADE_STATUS_OUT_OF_RANGE', status: 9 };
  assert.throws(() => expander.token(expander.vocabSize), outOfRange);
  assert.throws(() => expander.token(-1), outOfRange);
  assert.throws(() => expander.token(0.5), outOfRange);
  assert.throws(() => expander.token(2 ** 32), outOfRange);

  const vector = await expander.expand('atomic energy');
  const weights = expander.tokenWeights(vector);
  assert.equal(Object.keys(weights).length, vector.indices.length);
  assert.ok(weights.atomic > 1 && weights.energy > 1);
  vector.indices.forEach((id, i) => assert.equal(weights[expander.token(id)], vector.weights[i]));
  assert.deepEqual(Object.keys(weights), Array.from(vector.indices, (id) => expander.token(id)));
  assert.equal(Object.getPrototypeOf(weights), Object.prototype);
  assert.deepEqual(expander.tokenWeights({ indices: new Uint32Array(0), weights: new Float32Array(0) }), {});
  assert.throws(() => expander.tokenWeights({ indices: new Uint32Array([5, expander.vocabSize]),
    weights: new Float32Array(2) }), { ...outOfRange, message: /ids\[1\]/ });

  // The empty text is a text (the model still sees [CLS] [SEP]); an empty batch is an empty array.
  assert.deepEqual(await expander.expandBatch(['']).then((v) => v.map((x) => Array.from(x.indices))),
    [Array.from(expander.expandSync('').indices)]);
  assert.deepEqual(await expander.expandBatch([]), []);
  // Lone surrogates cannot cross as UTF-8: V8 turns them into U+FFFD, as everywhere in Node.
  assert.deepEqual(Array.from(expander.expandSync('a\uD800b').indices), Array.from(expander.expandSync('a\uFFFDb').indices));
});

test('token weights of two ids of one token string keep the later weight', (t) => {
  const dir = sharedTokenModel();
  t.after(() => fs.rmSync(dir, { recursive: true }));
  const expander = new Expander(dir);
  t.after(() => expander.close());
  assert.equal(expander.token(1), '');
  assert.equal(expander.token(2), '');
  // The later weight, here the smaller one, in the place of the first.
  const vector = { indices: new Uint32Array([1, 2, 7128]), weights: new Float32Array([0.5, 0.25, 2]) };
  const weights = expander.tokenWeights(vector);
  assert.deepEqual(Object.entries(weights), [['', 0.25], ['manhattan', 2]]);
});

test('statusName names only whole numbers that are statuses', () => {
  assert.equal(statusName(4), 'SPLADE_STATUS_MODEL_NOT_FOUND');
  // Not wrapped modulo 2**32, not NaN read as 0.
  for (const number of [2 ** 32 + 4, NaN, Infinity, -Infinity, 4.5, -1, 12345]) {
    assert.equal(statusName(number), 'SPLADE_STATUS_UNKNOWN', String(number));
  }
});

test('toJson reads a vector whose getters shrink its buffer as it is then', async (t) => {
  const expander = new Expander(model);
  t.after(() => expander.close());
  // weights' getter empties the resizable buffer behind indices, after indices was read: the addon takes the
  // arrays' data only once both getters have run, so it sees 0 ids against 2 weights, never freed memory.
  const buffer = new ArrayBuffer(8, { maxByteLength: 8 });
  const indices = new Uint32Array(buffer);
  indices.set([1000, 2000]);
  const vector = {
    indices,
    get weights() {
      buffer.resize(0);
      return new Float32Array([1, 2]);
    },
  };
  assert.throws(() => expander.toJson(vector, 'tei'), /differ in length/);
});

test('toJson gives each engine its shape; special tokens can be dropped', async (t) => {
  const expander = new Expander(model, { topK: 8 });
  t.after(() => expander.close());
  const vector = await expander.expand('The Manhattan Project and its atomic bomb');
  const parsed = (format, scale) => JSON.parse(expander.toJson(vector, format, scale));
  assert.deepEqual(parsed('indices-values').indices, Array.from(vector.indices));
  // JSON carries the shortest decimal that reads back as the same float32.
  assert.equal(Math.fround(parsed('token-weights').manhattan), expander.tokenWeights(vector).manhattan);
  assert.ok(Object.keys(parsed('elasticsearch')).every((key) => !key.includes('.')));
  assert.equal(parsed('impacts').manhattan, Math.round(expander.tokenWeights(vector).manhattan * 100));
  assert.equal(parsed('impacts', 10).manhattan, Math.round(expander.tokenWeights(vector).manhattan * 10));
  assert.deepEqual(parsed('tei').map((p) => p.index), Array.from(vector.indices));
  assert.throws(() => expander.toJson(vector, 'xml'), TypeError);
  assert.throws(() => expander.toJson({ indices: [1], weights: [1] }, 'tei'), TypeError);
  assert.throws(() => expander.toJson(vector, 'impacts', 0), { code: 'SPLADE_STATUS_INVALID_ARGUMENT' });
  const bad = { indices: new Uint32Array([1 << 20]), weights: new Float32Array([1]) };
  assert.throws(() => expander.toJson(bad, 'token-weights'), { code: 'SPLADE_STATUS_OUT_OF_RANGE' });

  // A parity text whose vector holds [UNK] (its reference vector does too).
  const text = '机器学习是人工智能的一个分支。北京是中华人民共和国的首都，人口超过两千万。';
  const keeping = new Expander(model);
  t.after(() => keeping.close());
  assert.ok('[UNK]' in keeping.tokenWeights(keeping.expandSync(text)));
  const dropping = new Expander(model, { dropSpecialTokens: true });
  t.after(() => dropping.close());
  assert.ok(!('[UNK]' in dropping.tokenWeights(dropping.expandSync(text))));
  assert.throws(() => new Expander(model, { dropSpecialTokens: 'yes' }), TypeError);
});
