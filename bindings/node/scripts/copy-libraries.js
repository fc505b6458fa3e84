// Used by binding.gyp: copies N input files to N output paths (inputs first, then outputs), following symlinks
// and replacing (not overwriting in place) an old output, which a running process may have mapped.
'use strict';
const fs = require('node:fs');

const args = process.argv.slice(2);
const half = args.length / 2;
if (args.length === 0 || !Number.isInteger(half)) {
  console.error('usage: copy-libraries.js INPUT... OUTPUT...');
  process.exit(2);
}
for (let i = 0; i < half; i++) {
  const [from, to] = [args[i], args[half + i]];
  fs.rmSync(to, { force: true });
  fs.copyFileSync(fs.realpathSync(from), to);
  fs.chmodSync(to, 0o755);
}
