'use strict';
/**
 * Jest caches as CI machines have them (--caches). Every process of node i
 * of an approach sees its cache at one path, `<root>/cache`, as CI restores
 * a cache to the same workspace path on every machine: Jest's transform
 * cache keys hold the whole project config, cacheDirectory included, so a
 * cache moved to another path is cold. Each process gets its own mount
 * namespace with node i's directory bound there (root only; elsewhere each
 * node is given its directory's own path, which the note says).
 *
 *   per-node  node i's own directory, kept across the approach's runs, as
 *             CI restores a cache saved under a key per shard index. Before
 *             the approach's first timed run, one untimed "yesterday" run of
 *             the same approach, from empty directories, fills them.
 *   shared    a fresh copy for every run of one directory that the
 *             approach's untimed yesterday run filled, every node writing to
 *             it, as CI restores one key on every machine.
 *   cold      a fresh empty directory for every run (no cache restored).
 *
 * Without --caches every process uses Jest's default cacheDirectory, warm
 * and shared live by all nodes at once (no CI machine has that).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const MODES = ['per-node', 'shared', 'cold'];

function canMount() {
  return process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0 && fs.existsSync('/usr/bin/unshare');
}

function createCaches(mode, nodes) {
  if (mode && !MODES.includes(mode)) throw new Error(`--caches must be one of ${MODES.join(', ')}, got ${mode}`);
  const root = mode ? fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-bench-caches-')) : undefined;
  const mount = Boolean(root) && canMount();
  const canonical = root && path.join(root, 'cache');
  if (canonical) fs.mkdirSync(canonical);
  let runs = 0;
  const yesterday = new Set();
  const fresh = dir => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
  return {
    mode,
    note: !root ? undefined : mount ? `each node's cache bound at ${canonical} in its own mount namespace` : `each node's cache at its own path (no mount namespaces here: not root), so a copied cache is cold for Jest`,
    /** Whether the approach still needs its untimed "yesterday" run (once). */
    needsYesterday(name) {
      return (mode === 'per-node' || mode === 'shared') && !yesterday.has(name);
    },
    markYesterday(name) {
      yesterday.add(name);
    },
    /**
     * For one run of `name`: node i's cache as { dir, mount? } (its directory,
     * and the path to bind it at), prepared as the mode says; undefined
     * without --caches. `isYesterday`: the untimed run that fills the caches.
     */
    forRun(name, isYesterday = false) {
      if (!root) return () => undefined;
      runs += 1;
      const run = runs;
      const at = dir => (mount ? { dir, mount: canonical } : { dir });
      if (mode === 'shared' && isYesterday) {
        const dir = fresh(path.join(root, 'shared', name));
        return () => at(dir);
      }
      const prepare = i => {
        if (mode === 'per-node') {
          const dir = path.join(root, 'per-node', name, `node-${i}`);
          fs.mkdirSync(dir, { recursive: true });
          return at(dir);
        }
        const dir = path.join(root, `run-${run}`, `node-${i}`);
        if (mode === 'shared') {
          fs.rmSync(dir, { recursive: true, force: true });
          fs.cpSync(path.join(root, 'shared', name), dir, { recursive: true });
        } else fresh(dir);
        return at(dir);
      };
      // Copied before the run starts: the copies are CI's restore, not the run's time.
      const dirs = Array.from({ length: nodes }, (_, i) => prepare(i));
      return i => dirs[i];
    },
    /** Directories of finished runs that no later run reads (copies, empty ones) go at once: a project's caches are large. */
    dropRun() {
      if (!root) return;
      for (const entry of fs.readdirSync(root)) if (entry.startsWith('run-')) fs.rmSync(path.join(root, entry), { recursive: true, force: true });
    },
    close() {
      if (root) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

module.exports = { createCaches, MODES };
