'use strict';
/**
 * Command-line flags of the benchmark. Defaults: 200 files x 0.8 s mean =
 * 160 s of work; with 4 nodes x 2 workers the bound is ~20 s. The whole
 * default run (warm-up, 5 Jest approaches, server capacity) took 7-9
 * minutes on a busy 2-core machine, most of it the two single-node runs
 * (~90 s each); --scale 0.5 roughly halves it.
 */
const DEFAULTS = {
  files: 200,
  nodes: 4,
  workers: 2,
  scale: 1,
  cpu: false,
  seed: 42,
  meanMs: 800,
  // Longest file: below total / (nodes x workers), so the bound is set by
  // balancing, not by one file, and balancing is what is being measured.
  maxMs: 12_000,
  batch: 5, // per-batch baseline: files per `jest` start
  startupRuns: 3,
  capacityNodes: 200,
  capacityFiles: 10_000,
  capacityFileMs: 100, // simulated time per file in the paced capacity run
  skipCapacity: false,
  only: '', // comma list of approaches to run: plain,shard,batch,fastci,single
  name: '',
};

const HELP = `Usage: npm run bench -- [flags]
  --files N          test files (default ${DEFAULTS.files})
  --nodes N          CI nodes (default ${DEFAULTS.nodes})
  --workers N        Jest workers per node, --maxWorkers (default ${DEFAULTS.workers})
  --scale X          multiply every duration (default ${DEFAULTS.scale})
  --cpu              CPU-bound busy loops instead of sleeps
  --seed N           RNG seed for durations (default ${DEFAULTS.seed})
  --batch N          files per jest start in the per-batch baseline (default ${DEFAULTS.batch})
  --capacity-nodes N, --capacity-files N, --capacity-file-ms N
  --skip-capacity    skip the server capacity run
  --only a,b         run only some of: plain,shard,batch,fastci,single
  --name NAME        suite directory name (default derived from the flags)`;

function camel(flag) {
  return flag.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

function parseArgs(argv) {
  const out = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(HELP);
      process.exit(0);
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n${HELP}`);
    const [flag, inline] = arg.slice(2).split('=', 2);
    const key = camel(flag);
    if (!(key in DEFAULTS)) throw new Error(`unknown flag --${flag}\n${HELP}`);
    if (typeof DEFAULTS[key] === 'boolean') {
      out[key] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${flag} needs a value`);
    if (typeof DEFAULTS[key] === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag} must be a positive number, got ${value}`);
      out[key] = n;
    } else {
      out[key] = value;
    }
  }
  for (const key of ['files', 'nodes', 'workers', 'batch', 'startupRuns', 'capacityNodes', 'capacityFiles']) {
    if (!Number.isInteger(out[key])) throw new Error(`--${key} must be an integer`);
  }
  if (!out.name) out.name = `${out.cpu ? 'cpu' : 'sleep'}-f${out.files}-s${out.scale}-seed${out.seed}`;
  return out;
}

module.exports = { parseArgs, DEFAULTS, HELP };
