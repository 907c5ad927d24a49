#!/usr/bin/env node
// Installs the Debian packages the tests start for real (redis-server for
// the Redis store, chromium for the dashboard's browser test), once: a
// fresh machine runs `npm test` and must pass without other steps.
// CHROMIUM_PATH names another Chromium or Chrome binary instead.
// Without apt-get (or the rights to use it) it stops with a message naming
// the packages, rather than failing later in a test.
const { spawnSync } = require('node:child_process');

const fs = require('node:fs');

const PACKAGES = [
  { command: 'redis-server', debian: 'redis-server' },
  { command: process.env.CHROMIUM_PATH || '/usr/bin/chromium', debian: 'chromium' },
];

const has = command => (command.startsWith('/') ? fs.existsSync(command) : spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0);
const missing = PACKAGES.filter(p => !has(p.command)).map(p => p.debian);
if (missing.length === 0) process.exit(0);

const names = missing.join(' ');
if (!has('apt-get') || (process.env.CHROMIUM_PATH && missing.includes('chromium'))) {
  console.error(`The tests need the Debian packages: ${names}. Install them (apt-get install -y ${names}) and run npm test again.`);
  process.exit(1);
}
console.log(`Installing ${names} for the tests (apt-get install -y ${names})...`);
const sudo = process.getuid && process.getuid() !== 0 && has('sudo') ? ['sudo', '-n'] : [];
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const run = args => spawnSync(sudo[0] ?? args[0], sudo.length > 0 ? [...sudo.slice(1), ...args] : args.slice(1), { stdio: 'inherit', env }).status === 0;
if (!run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]) && !(run(['apt-get', 'update']) && run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]))) {
  console.error(`Could not install ${names}. Install them (apt-get install -y ${names}) and run npm test again.`);
  process.exit(1);
}
const still = PACKAGES.filter(p => !has(p.command)).map(p => p.debian);
if (still.length > 0) {
  console.error(`${still.join(' ')} installed but not on PATH; check the installation.`);
  process.exit(1);
}
