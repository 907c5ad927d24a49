#!/usr/bin/env node
// The dashboard's browser test (test/integration/dashboard.integration.test.ts)
// drives Debian's `chromium` through playwright-core. A fresh machine runs
// `npm test` and must pass without other steps: install the package when it
// is missing, as root; otherwise say which package to install.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (fs.existsSync(CHROMIUM)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = fs.existsSync('/usr/bin/apt-get');
if (!isRoot || !hasApt || process.env.CHROMIUM_PATH) {
  console.error(
    `The dashboard's browser test needs Chromium at ${CHROMIUM}. Install Debian's "chromium" package ` +
      '(as root: apt-get install -y chromium), or set CHROMIUM_PATH to a Chromium or Chrome binary, then run npm test again.',
  );
  process.exit(1);
}
console.log("Installing Debian's chromium package for the dashboard's browser test (apt-get install -y chromium)...");
const apt = args => execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
try {
  apt(['install', '-y', 'chromium']);
} catch {
  // A fresh image often has no package lists yet.
  apt(['update']);
  apt(['install', '-y', 'chromium']);
}
