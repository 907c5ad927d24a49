#!/usr/bin/env node
// Writes the ES module entries next to the CommonJS ones tsc builds. An ES
// module importing a CommonJS `exports.default` gets the whole exports
// object as its default (Node, and bundlers in Node mode), so
// `import FastCiReporter from 'jest-fast-ci/reporter'` would need
// `.default`. Each wrapper re-exports the CommonJS module (one instance,
// no dual-package state) with its main export, exported by name too, as
// the default. Jest loads runner and reporter through `require`, which
// still gets the CommonJS file.
const fs = require('node:fs');
const path = require('node:path');

const dist = path.resolve(__dirname, '../dist');
// Entry (without extension) → the named export that is its default.
const ENTRIES = { index: 'FastCiRunner', 'reporter/index': 'FastCiReporter', 'reporter/GitHubActionsReporter': 'GitHubActionsReporter' };

for (const [entry, name] of Object.entries(ENTRIES)) {
  const cjs = `./${path.basename(entry)}.js`;
  const body = `export * from '${cjs}';\nexport { ${name} as default } from '${cjs}';\n`;
  fs.writeFileSync(path.join(dist, `${entry}.mjs`), body);
  fs.writeFileSync(path.join(dist, `${entry}.d.mts`), body);
}
