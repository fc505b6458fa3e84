'use strict';
// Child process of memory.test.js (not itself a test file): opens `count` Expanders and drops each without
// close(), never calling the garbage collector itself, and prints the largest resident set size seen, in MiB, as
// JSON. It stops early, exiting 1, once the resident set passes `ceilingMb`: a leak ends the run quickly.
// Usage: node unclosed-expanders.js <count> <ceilingMb>
const { Expander } = require('spladerunner');
const { model } = require('./support.js');

const [count, ceilingMb] = process.argv.slice(2).map(Number);

async function main() {
  let peakMb = 0;
  for (let i = 0; i < count; i++) {
    new Expander(model, { intraOpThreads: 1 }).expandSync('atomic energy');
    peakMb = Math.max(peakMb, process.memoryUsage.rss() / 2 ** 20);
    if (peakMb > ceilingMb) {
      console.log(JSON.stringify({ opened: i + 1, peakMb }));
      process.exit(1);
    }
    // Node runs the finalizers of collected objects from its event loop: a program that never yields to it
    // frees nothing however often V8 collects.
    await new Promise((resolve) => setImmediate(resolve));
  }
  console.log(JSON.stringify({ opened: count, peakMb }));
}
main();
