#!/usr/bin/env node
'use strict';
// Documents per second through the Node binding: the workload of the core's `docs` benchmark
// (`cargo run --release --example bench -- --job docs`): every line of ../shared/data/bench/paragraphs.txt,
// in batches of 32 at max_length 256, one batch after the other, with ONNX Runtime's default thread count.
//
//   node bench.js [--model DIR] [--docs FILE] [--batch N] [--max-length N] [--threads N] [--sync] [--json]
//
// By default each batch is `await expander.expandBatch(batch)` (the thread pool); --sync uses expandBatchSync.

const fs = require('node:fs');
const path = require('node:path');
const { Expander } = require('./index.js');

const root = path.resolve(__dirname, '..', '..');
const args = {
  model: path.join(root, '.cache', 'models', 'splade-tiny'),
  docs: path.join(root, '..', 'shared', 'data', 'bench', 'paragraphs.txt'),
  batch: 32,
  maxLength: 256,
  threads: undefined,
  sync: false,
  json: false,
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const flag = argv[i];
  const value = () => {
    if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
    return argv[++i];
  };
  const number = () => {
    const n = Number(value());
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a number`);
    return n;
  };
  switch (flag) {
    case '--model': args.model = value(); break;
    case '--docs': args.docs = value(); break;
    case '--batch': args.batch = number(); break;
    case '--max-length': args.maxLength = number(); break;
    case '--threads': args.threads = number(); break;
    case '--sync': args.sync = true; break;
    case '--json': args.json = true; break;
    default: throw new Error(`unknown flag ${flag}`);
  }
}

/** The lines of a file, like Rust's str::lines (no empty last line for the final newline). */
function lines(file) {
  const text = fs.readFileSync(file, 'utf8');
  const all = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (all.length > 0 && all[all.length - 1] === '') all.pop();
  return all;
}

async function main() {
  const docs = lines(args.docs);
  let start = process.hrtime.bigint();
  const expander = new Expander(args.model, { maxLength: args.maxLength, intraOpThreads: args.threads });
  const loadS = Number(process.hrtime.bigint() - start) / 1e9;

  start = process.hrtime.bigint();
  let terms = 0;
  for (let i = 0; i < docs.length; i += args.batch) {
    const chunk = docs.slice(i, i + args.batch);
    const vectors = args.sync ? expander.expandBatchSync(chunk) : await expander.expandBatch(chunk);
    for (const vector of vectors) terms += vector.indices.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  expander.close();

  const docsPerS = docs.length / seconds;
  const mode = args.sync ? 'expandBatchSync' : 'expandBatch';
  if (args.json) {
    console.log(JSON.stringify({ job: 'docs', binding: 'node', mode, docs: docs.length, seconds, docs_per_s: docsPerS,
      load_s: loadS }));
  } else {
    console.log(`model            ${args.model}`);
    console.log(`load             ${loadS.toFixed(3)} s`);
    console.log(`documents        ${docs.length} in ${seconds.toFixed(2)} s = ${docsPerS.toFixed(1)} docs/s ` +
      `(${mode}, batch ${args.batch}, max_length ${args.maxLength}, ${(terms / docs.length).toFixed(1)} terms/doc)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
