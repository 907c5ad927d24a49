#!/usr/bin/env node
// Installs Jest 29.7 under test/compat/jest29 for the compatibility tests,
// once: a fresh clone runs `npm test` and must pass without other steps.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.resolve(__dirname, '../test/compat/jest29');
if (fs.existsSync(path.join(dir, 'node_modules/jest/package.json'))) process.exit(0);
console.log('Installing Jest 29.7 for the compatibility tests (test/compat/jest29)...');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// `install`, not `ci`: see the note in .ci/run about this registry and lock files.
execFileSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
