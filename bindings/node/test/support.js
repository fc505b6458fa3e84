'use strict';
// Paths and data shared by the tests (not itself a test file: `npm test` runs test/*.test.{js,mjs}).
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..', '..');
const models = path.join(root, '.cache', 'models');
const model = path.join(models, 'splade-tiny');

/** The 130 parity texts and the core's reference vectors for them at `maxLength` (from `file`, if given). */
function reference(maxLength, file = `splade-tiny.max${maxLength}.jsonl`) {
  const texts = JSON.parse(fs.readFileSync(path.join(root, 'tests', 'data', 'parity_texts.json'), 'utf8'));
  file = path.join(root, '.cache', 'reference', file);
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0);
  const vectors = lines.map((line) => JSON.parse(line));
  return { texts, vectors };
}

/** The benchmark paragraphs (one per line), from $SPLADERUNNER_SHARED (default: ../shared beside the repository). */
function paragraphs() {
  const shared = process.env.SPLADERUNNER_SHARED || path.join(root, '..', 'shared');
  const file = path.join(shared, 'data', 'bench', 'paragraphs.txt');
  return fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0);
}

/** Plain arrays of a vector, for deepStrictEqual. */
function plain(vector) {
  return { indices: Array.from(vector.indices), weights: Array.from(vector.weights) };
}

module.exports = { root, models, model, reference, paragraphs, plain };
