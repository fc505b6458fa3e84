// The ES module entry point: the same objects as the CommonJS one (index.js), as named exports.
import spladerunner from './index.js';

export const { Expander, version, statusName } = spladerunner;
