'use strict';
/**
 * Jest caches as CI machines have them (--caches). Each simulated node i of
 * an approach gets `--cacheDirectory=<dir>`:
 *
 *   per-node  its own directory, kept across the approach's runs, as CI
 *             restores a cache saved under a key per shard index. Before
 *             the approach's first timed run, one untimed "yesterday" run
 *             of the same approach, from empty directories, fills them.
 *   shared    a fresh copy, for every run, of one directory the warm-up
 *             filled (a plain run of every file), as CI restores one key
 *             on every machine.
 *   cold      a fresh empty directory for every run (no cache restored).
 *
 * Without --caches every process uses Jest's default cacheDirectory, warm
 * and shared live by all nodes at once (no CI machine has that).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const MODES = ['per-node', 'shared', 'cold'];

function createCaches(mode) {
  if (mode && !MODES.includes(mode)) throw new Error(`--caches must be one of ${MODES.join(', ')}, got ${mode}`);
  const root = mode ? fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-bench-caches-')) : undefined;
  const warmDir = root && path.join(root, 'warm');
  let runs = 0;
  const yesterday = new Set();
  return {
    mode,
    /** The warm-up's cache: what `shared` copies. */
    warmArgs: () => (root ? [`--cacheDirectory=${warmDir}`] : []),
    /** Whether the approach still needs its untimed "yesterday" run (per-node only, once). */
    needsYesterday(name) {
      return mode === 'per-node' && !yesterday.has(name);
    },
    markYesterday(name) {
      yesterday.add(name);
    },
    /** For one run of `name`: node i's cache directory (prepared as the mode says), or undefined. */
    forRun(name) {
      if (!root) return () => undefined;
      runs += 1;
      const run = runs;
      return i => {
        if (mode === 'per-node') {
          const dir = path.join(root, 'per-node', name, `node-${i}`);
          fs.mkdirSync(dir, { recursive: true });
          return dir;
        }
        const dir = path.join(root, `run-${run}`, `node-${i}`);
        fs.rmSync(dir, { recursive: true, force: true });
        if (mode === 'shared') fs.cpSync(warmDir, dir, { recursive: true });
        else fs.mkdirSync(dir, { recursive: true });
        return dir;
      };
    },
    /** Directories of finished runs that no later run reads (shared, cold) go at once: a project's caches are large. */
    dropRun() {
      if (!root || mode === 'per-node') return;
      for (const entry of fs.readdirSync(root)) if (entry.startsWith('run-')) fs.rmSync(path.join(root, entry), { recursive: true, force: true });
    },
    close() {
      if (root) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

module.exports = { createCaches, MODES };
