'use strict';
/**
 * Command-line flags of the benchmark. Defaults: 200 files x 0.8 s mean =
 * 160 s of sleeps; with 4 nodes x 2 workers the bound is ~20 s plus a
 * start-up. With --cpu: 40 files x 1.5 s of CPU time = 60 s; each isolated
 * node has cores / N CPUs (0.5 on 2 cores), so the bound is ~30 s and a
 * single node takes ~2 minutes. A default run (warm-up, 5 Jest approaches,
 * server capacity) takes 6-9 minutes on a 2-core machine.
 */
const DEFAULTS = {
  files: 0, // 0: 200, or 40 with --cpu
  nodes: 4,
  workers: 2,
  scale: 1,
  cpu: false,
  seed: 42,
  meanMs: 0, // 0: 800, or 1500 ms of CPU time with --cpu
  // Longest file: below total / (nodes x workers), so the bound is set by
  // balancing, not by one file, and balancing is what is being measured.
  maxMs: 12_000,
  // Each node in a cgroup of its own with nodeCpus CPUs, where the machine allows it.
  isolate: true,
  nodeCpus: 0, // 0: cores / nodes
  project: '', // an existing Jest project instead of the generated suite
  projectConfig: '', // its Jest config file, when not the one Jest finds there
  repeat: 1, // run every approach this many times (interleaved); ratios from the medians
  waitIdle: false, // before each approach, wait (up to 90 s) for the machine to be quiet
  batch: 5, // per-batch baseline: files per `jest` start
  startupRuns: 3,
  capacityNodes: 200,
  capacityFiles: 10_000,
  capacityFileMs: 100, // simulated time per file in the paced capacity run
  skipCapacity: false,
  only: '', // comma list of approaches to run: plain,shard,batch,fastci,fastciNode,single
  name: '',
  // One file of dominantTests tests holding this share of the suite's work (0: none); see --dominant.
  dominant: 0,
  dominantTests: 12,
  // A generated project with coverage on instead of the timed suite: --files test files over --modules modules.
  coverage: false,
  modules: 300,
  // Jest caches as CI machines have them (caches.js): per-node, shared or cold; '' for Jest's default directory.
  caches: '',
  // Give every jest-fast-ci node FAST_CI_NODE_TOTAL, as most CIs say it (--no-node-total: as GitHub Actions, which does not).
  nodeTotal: true,
  // Seconds into a run at which the last node's machine dies (approach fastciKill; 0: not run).
  killAt: 0,
};

const HELP = `Usage: npm run bench -- [flags]
  --isolate          each node in its own cgroup with cores/N CPUs (default where the
                     machine allows it: Linux, root, a cgroup with the cpu controller)
  --no-isolate       every node shares the whole machine
  --node-cpus X      CPUs per isolated node (default cores / nodes)
  --project PATH     compare on an existing Jest project instead of the generated suite
                     (the runner and reporter are added by CLI flags; nothing is edited)
  --project-config F the --project's Jest config file (--config), when not the one Jest finds
  --repeat N         run every approach N times, interleaved; ratios from the medians
  --wait-idle        before each approach, wait up to 90 s for the machine to be
                     under 25% busy for 3 s (a machine shared with other work)
  --files N          test files (default 200, or 40 with --cpu)
  --nodes N          CI nodes (default ${DEFAULTS.nodes})
  --workers N        Jest workers per node, --maxWorkers (default ${DEFAULTS.workers})
  --scale X          multiply every duration (default ${DEFAULTS.scale})
  --cpu              CPU-bound files: each burns CPU time (process.cpuUsage) instead of sleeping
  --mean-ms N        mean file duration (default 800, or 1500 ms of CPU time with --cpu)
  --max-ms N         longest file (default ${DEFAULTS.maxMs})
  --seed N           RNG seed for durations (default ${DEFAULTS.seed})
  --batch N          files per jest start in the per-batch baseline (default ${DEFAULTS.batch})
  --capacity-nodes N, --capacity-files N, --capacity-file-ms N
  --skip-capacity    skip the server capacity run
  --only a,b         run only some of: plain,shard,batch,fastci,fastciNode,single
                     (fastciNode: jest-fast-ci with FAST_CI_REPORT=node, for the cost of whole-run reporting)
  --name NAME        suite directory name (default derived from the flags)
  --dominant F       add one file of --dominant-tests tests (default 12) holding the share F
                     (e.g. 0.4) of the suite's work: the file-level floor that splitting breaks.
                     jest-fast-ci first runs the suite once, untimed, so the server learns the
                     file's tests (as any earlier run would teach it)
  --caches MODE      Jest caches as CI machines have them (caches.js): per-node (each node
                     its own, filled by an untimed run of the same approach the day before),
                     shared (a copy on every node of one cache an untimed run of the same
                     approach filled) or cold (empty); each at one path, as on CI machines;
                     default: Jest's default directory, warm and shared live by all nodes
  --kill-at S        also run jest-fast-ci with the last node's machine killed S s in (fastciKill):
                     when the files it held ran again elsewhere (generated suite, traced)
  --no-node-total    do not give jest-fast-ci nodes FAST_CI_NODE_TOTAL (GitHub Actions sets
                     no such variable): splitting must size parts without it
  --coverage         compare on a generated project with coverage on (coverage-project.js):
                     --files test files (default 300) each loading 50-150 of --modules
                     modules (default 300); adds the whole-run report's bytes per node
                     and its time after each node's last file (default --only shard,fastci,fastciNode)`;

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
    const negated = flag.startsWith('no-') && typeof DEFAULTS[camel(flag.slice(3))] === 'boolean';
    const key = camel(negated ? flag.slice(3) : flag);
    if (!(key in DEFAULTS)) throw new Error(`unknown flag --${flag}\n${HELP}`);
    if (typeof DEFAULTS[key] === 'boolean') {
      out[key] = negated ? false : inline === undefined ? true : inline !== 'false';
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
  out.files ||= out.coverage ? 300 : out.cpu ? 40 : 200;
  if (out.coverage && !out.only) out.only = 'shard,fastci,fastciNode';
  if (out.killAt > 0 && out.only && !out.only.split(',').includes('fastciKill')) out.only += ',fastciKill';
  out.meanMs ||= out.cpu ? 1500 : 800;
  if (out.dominant >= 1) throw new Error(`--dominant is a share of the suite's work, below 1 (e.g. 0.4), got ${out.dominant}`);
  for (const key of ['files', 'nodes', 'workers', 'batch', 'startupRuns', 'capacityNodes', 'capacityFiles', 'repeat', 'dominantTests']) {
    if (!Number.isInteger(out[key])) throw new Error(`--${key} must be an integer`);
  }
  if (!out.name) out.name = `${out.cpu ? 'cpu' : 'sleep'}-f${out.files}-m${out.meanMs}-s${out.scale}-seed${out.seed}${out.dominant ? `-dom${out.dominant}` : ''}`;
  return out;
}

module.exports = { parseArgs, DEFAULTS, HELP };
