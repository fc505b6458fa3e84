'use strict';
// The facts the binding restates from the C header, against include/spladerunner.h itself: the status names of
// index.d.ts and of the loaded library, and the option names of index.d.ts and of the addon. None missing, none
// extra.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const { Expander, statusName } = require('spladerunner');
const { root, models } = require('./support.js');

const header = fs.readFileSync(path.join(root, 'include', 'spladerunner.h'), 'utf8');
const typings = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');
const declarations = ts.createSourceFile('index.d.ts', typings, ts.ScriptTarget.Latest);

/** The declaration named `name` at the top level of index.d.ts. */
function declaration(name) {
  const found = declarations.statements.find((statement) => statement.name && statement.name.text === name);
  assert.ok(found, `index.d.ts declares ${name}`);
  return found;
}

const sorted = (values) => [...values].sort();

test('the statuses are the header\'s: SpladeStatusName and statusName()', () => {
  const statuses = new Map(Array.from(header.matchAll(/^\s*(SPLADE_STATUS_[A-Z0-9_]+) = (\d+),$/gm),
    (m) => [m[1], Number(m[2])]));
  assert.ok(statuses.size >= 12, `only ${statuses.size} statuses read from the header`);
  for (const [name, number] of statuses) assert.equal(statusName(number), name);
  // The union names the statuses an error can carry: every one but OK.
  const union = declaration('SpladeStatusName').type.types.map((member) => member.literal.text);
  assert.deepEqual(sorted(union), sorted([...statuses.keys()].filter((name) => name !== 'SPLADE_STATUS_OK')));
});

test('the options are the header\'s setters: ExpanderOptions and the addon\'s', () => {
  const camelCase = (name) => name.replace(/_(.)/g, (_, letter) => letter.toUpperCase());
  const setters = Array.from(header.matchAll(/\bsplade_options_set_(\w+)\(/g), (m) => camelCase(m[1]));
  assert.ok(setters.length >= 10, `only ${setters.length} option setters read from the header`);
  const typed = declaration('ExpanderOptions').members.map((member) => member.name.text);
  assert.deepEqual(sorted(typed), sorted(setters), 'ExpanderOptions');
  // The addon names the options it knows when it meets one it does not.
  let known;
  assert.throws(() => new Expander(path.join(models, 'splade-tiny'), { notAnOption: 1 }), (error) => {
    known = /\(the options are (.*)\)$/.exec(error.message)[1].split(', ');
    return error instanceof TypeError;
  });
  assert.deepEqual(sorted(known), sorted(setters), 'the addon');
});
