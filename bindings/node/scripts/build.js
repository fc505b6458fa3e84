#!/usr/bin/env node
// `npm run build` (and `npm install`): builds the core library, then the addon, offline.
//
// 1. `make -C ../.. build`: the set-up (ONNX Runtime and the models into .cache/, once; later a second of
//    checks), then target/release/libspladerunner.so with libonnxruntime.so beside it.
// 2. `node-gyp rebuild` against the headers of the Node that runs this script (`<prefix>/include/node`, which
//    a system, nvm or tarball install of Node has), so node-gyp downloads nothing. npm puts its bundled
//    node-gyp on the PATH of scripts; outside npm, a node-gyp on the PATH is used.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = path.resolve(__dirname, '..');
const root = path.resolve(here, '..', '..');
const nodedir = process.env.npm_config_nodedir || path.resolve(process.execPath, '..', '..');

if (!fs.existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`spladerunner: no Node headers at ${nodedir}/include/node; set npm_config_nodedir to the ` +
    'directory that holds include/node (node-gyp would otherwise download them)');
  process.exit(1);
}

const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: 'inherit' });
run(process.env.MAKE || 'make', ['-C', root, 'build'], here);
const gyp = process.env.npm_config_node_gyp;
if (gyp) run(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], here);
else run('node-gyp', ['rebuild', `--nodedir=${nodedir}`], here);
