'use strict';
// Expanders dropped without close(), in a child process that never calls the garbage collector (no --expose-gc):
// each expander reports its native memory to V8, so V8 collects them and their finalizers free the C expanders
// while the loop runs. Without that report V8 sees a few bytes per Expander and the resident set grows by the
// whole native size of each.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const COUNT = 300;
// MiB: well above the peak with the report, far below where unreported expanders go within the first few
// dozen (the binding's README has both figures).
const CEILING_MB = 1024;

test(`${COUNT} expanders dropped without close() keep the resident set under ${CEILING_MB} MiB`, () => {
  const child = path.join(__dirname, 'unclosed-expanders.js');
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // no --expose-gc or heap flags inherited
  let output;
  try {
    output = execFileSync(process.execPath, [child, String(COUNT), String(CEILING_MB)], { env, encoding: 'utf8' });
  } catch (error) {
    assert.fail(`the child passed ${CEILING_MB} MB: ${error.stdout}`);
  }
  const { opened, peakMb } = JSON.parse(output);
  assert.equal(opened, COUNT);
  assert.ok(peakMb <= CEILING_MB, `peak ${peakMb} MiB`);
});
