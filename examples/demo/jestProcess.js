'use strict';
/**
 * Starts one real `jest` process (the CLI a CI job runs) and hands its
 * output back line by line, so the caller can label every line with the
 * node it came from.
 */
const { spawn } = require('node:child_process');
const path = require('node:path');
const { REPO } = require('./args');

const JEST_BIN = path.join(REPO, 'node_modules/jest/bin/jest.js');

/** Calls onLine for each complete line of a stream; the rest is kept until the next chunk. */
function splitLines(readable, onLine) {
  let rest = '';
  readable.setEncoding('utf8');
  readable.on('data', chunk => {
    const lines = (rest + chunk).split(/\r?\n/);
    rest = lines.pop();
    for (const line of lines) onLine(line);
  });
  return () => {
    if (rest !== '') onLine(rest);
    rest = '';
  };
}

/**
 * The parent's environment without jest-fast-ci's own variables, so a
 * FAST_CI_* setting in the user's shell (say, the key of a real team) never
 * leaks into the demo's nodes: they get exactly what the demo sets.
 */
function demoEnv(extra) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('FAST_CI_')) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * @param {object} options
 * @param {string} options.cwd the Jest project
 * @param {Record<string, string>} options.env added to the parent's environment (FAST_CI_* removed first)
 * @param {string[]} [options.args] extra jest arguments
 * @param {(line: string) => void} options.onLine every line of stdout and stderr
 * @returns {{ child: import('node:child_process').ChildProcess, done: Promise<{ code: number | null, signal: string | null, wallMs: number }> }}
 */
function startJest({ cwd, env, args = [], onLine }) {
  const started = performance.now();
  const child = spawn(process.execPath, [JEST_BIN, ...args], { cwd, env: demoEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const flushOut = splitLines(child.stdout, onLine);
  const flushErr = splitLines(child.stderr, onLine);
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      flushOut();
      flushErr();
      resolve({ code, signal, wallMs: performance.now() - started });
    });
  });
  return { child, done };
}

module.exports = { startJest, JEST_BIN };
