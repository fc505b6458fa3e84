'use strict';
// The CommonJS entry point: require('spladerunner').
const test = require('node:test');
const assert = require('node:assert/strict');
const { model } = require('./support.js');

test("require('spladerunner') loads the addon and expands", () => {
  const spladerunner = require('spladerunner');
  assert.equal(typeof spladerunner.Expander, 'function');
  assert.match(spladerunner.version, /^\d+\.\d+\.\d+/);
  assert.equal(spladerunner.version, require('spladerunner/package.json').version);
  const expander = new spladerunner.Expander(model);
  try {
    const vector = expander.expandSync('atomic energy');
    assert.ok(vector.indices.length > 0);
  } finally {
    expander.close();
  }
});
