// The ES module entry point: import from 'spladerunner'.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Expander, version, statusName } from 'spladerunner';

const { model } = createRequire(import.meta.url)('./support.js');

test("import from 'spladerunner' loads the addon and expands", async () => {
  const cjs = createRequire(import.meta.url)('spladerunner');
  assert.equal(Expander, cjs.Expander, 'the same class as require() gives');
  assert.equal(version, cjs.version);
  assert.equal(statusName(10), 'SPLADE_STATUS_CLOSED');
  const expander = new Expander(model);
  try {
    const vector = await expander.expand('atomic energy');
    assert.ok(vector.weights instanceof Float32Array && vector.weights.length > 0);
  } finally {
    expander.close();
  }
});
