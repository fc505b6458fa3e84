'use strict';
// spladerunner for Node: the addon (src/addon.c, over the C library) plus one helper, tokenWeights.
// Everything else (validation, defaults, pruning) happens in the C library; see index.d.ts for the API.

let native;
try {
  native = require('./build/Release/spladerunner.node');
} catch (error) {
  if (error.code === 'MODULE_NOT_FOUND') {
    error.message += '\nspladerunner: the addon is not built; run `npm run build` in bindings/node';
  }
  throw error;
}

const { Expander } = native;

Object.defineProperty(Expander.prototype, 'tokenWeights', {
  /**
   * The vector as `{ token: weight }` (for Elasticsearch, OpenSearch, Vespa...). Token strings come from
   * token(id), so this throws like it (for example SPLADE_STATUS_CLOSED after close()).
   */
  value: function tokenWeights(vector) {
    const indices = vector !== null && typeof vector === 'object' ? vector.indices : undefined;
    const weights = vector !== null && typeof vector === 'object' ? vector.weights : undefined;
    if (indices == null || weights == null || typeof indices.length !== 'number' ||
        indices.length !== weights.length) {
      const error = new TypeError('vector must be { indices, weights } of equal lengths, as expand() returns');
      error.code = 'ERR_INVALID_ARG_TYPE';
      throw error;
    }
    const entries = new Array(indices.length);
    for (let i = 0; i < indices.length; i++) entries[i] = [this.token(indices[i]), weights[i]];
    // fromEntries defines own properties, so even a token named "__proto__" becomes a plain key.
    return Object.fromEntries(entries);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});

module.exports = {
  Expander,
  /** The version of the loaded libspladerunner, for example "0.1.0". */
  version: native.version(),
  /** The name of a status number, for example 4 → "SPLADE_STATUS_MODEL_NOT_FOUND". */
  statusName: native.statusName,
};

// For the binding's own tests: the number of C expanders not yet freed in this process.
Object.defineProperty(module.exports, '_liveExpanders', { value: native.liveExpanders, enumerable: false });
