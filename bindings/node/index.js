'use strict';
// spladerunner for Node: the addon (src/addon.c, over the C library), loaded and exported. Validation, defaults
// and pruning happen in the C library; see index.d.ts for the API.

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

module.exports = {
  Expander,
  /** The version of the loaded libspladerunner, for example "0.1.0". */
  version: native.version(),
  /** The name of a status number, for example 4 → "SPLADE_STATUS_MODEL_NOT_FOUND". */
  statusName: native.statusName,
};

// For the binding's own tests: the number of C expanders not yet freed in this process.
Object.defineProperty(module.exports, '_liveExpanders', { value: native.liveExpanders, enumerable: false });
