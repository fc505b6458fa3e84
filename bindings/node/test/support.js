'use strict';
// Paths and data shared by the tests (not itself a test file: `npm test` runs test/*.test.{js,mjs}).
const fs = require('node:fs');
const os = require('node:os');
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

/**
 * splade-tiny made, in a new temporary directory, into a model of which two ids share a token string, which no
 * shipped model has: its tokenizer's ids 1 and 2 ('[unused0]', '[unused1]') moved to 30522 and 30523. The
 * vocabulary keeps its size (30522, the model's), and ids 1 and 2 have no token, so both read as ''. The other
 * files are links to splade-tiny's. Returns the directory, for the caller to remove.
 */
function sharedTokenModel() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spladerunner-shared-token-'));
  for (const name of fs.readdirSync(model)) {
    if (name !== 'tokenizer.json') fs.symlinkSync(path.join(model, name), path.join(dir, name));
  }
  const tokenizer = JSON.parse(fs.readFileSync(path.join(model, 'tokenizer.json'), 'utf8'));
  const vocab = tokenizer.model.vocab;
  if (vocab['[unused0]'] !== 1 || vocab['[unused1]'] !== 2) throw new Error('ids 1 and 2 are not [unused0], [unused1]');
  vocab['[unused0]'] = 30522;
  vocab['[unused1]'] = 30523;
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  return dir;
}

/** Plain arrays of a vector, for deepStrictEqual. */
function plain(vector) {
  return { indices: Array.from(vector.indices), weights: Array.from(vector.weights) };
}

module.exports = { root, models, model, reference, paragraphs, plain, sharedTokenModel };
