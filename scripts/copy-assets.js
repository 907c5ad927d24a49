#!/usr/bin/env node
// Copies the dashboard's static files (HTML, CSS, ES modules) next to the
// compiled server in dist/: tsc compiles only TypeScript. The page needs no
// build step of its own, so they are copied as they are.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const from = path.join(root, 'src/server/dashboard/assets');
const to = path.join(root, 'dist/server/dashboard/assets');

// A file deleted from src/ must not linger in dist/ (and in the package).
fs.rmSync(to, { recursive: true, force: true });
fs.cpSync(from, to, { recursive: true });
