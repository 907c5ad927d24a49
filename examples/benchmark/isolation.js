'use strict';
/**
 * One CPU budget per simulated machine: a cgroup per node with `cores / N`
 * CPUs (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us`), so a node that
 * finishes early cannot lend its CPU to the others, as separate CI machines
 * cannot. Every approach gets the same groups: process i of an approach
 * (shard i, queue node i, jest-fast-ci node i) runs in group `node-i`, a
 * single-node run in `node-0`, and the start-up probe of the bound in
 * `probe`, each with the same budget.
 *
 * A process enters its group before it runs any Jest code: it is started as
 * `sh -c 'echo $$ > <group>/cgroup.procs && exec "$@"' …`, so the shell
 * moves itself, then becomes node; Jest's workers inherit the group.
 *
 * A budget caps a node; it does not reserve the CPU. On a shared machine
 * other work still takes CPU from the nodes, so each group's CPU use is
 * accounted too (v2 cpu.stat usage_usec; v1 cpuacct.usage, in a twin group
 * of the cpuacct hierarchy where it is mounted apart), for the bench to say
 * how much of the machine went elsewhere while an approach ran.
 *
 * Needs root and a cgroup hierarchy with the cpu controller; where either is
 * missing, `createIsolation` says why and every run is unisolated.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PERIOD_US = 100_000;
const PREFIX = 'jest-fast-ci-bench-';

/** Mount points from /proc/mounts: { type, dir, options[] }. */
function mounts() {
  try {
    return fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(line => {
        const [, dir, type, options] = line.split(' ');
        return { type, dir: dir.replace(/\\040/g, ' '), options: options.split(',') };
      });
  } catch {
    return [];
  }
}

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Where node groups can be made: cgroup v2 where its cpu controller is
 * available, else the v1 hierarchy that has the cpu controller. undefined
 * with a reason when there is none.
 */
function findHierarchy() {
  const all = mounts();
  for (const m of all.filter(m => m.type === 'cgroup2')) {
    const controllers = (read(path.join(m.dir, 'cgroup.controllers')) ?? '').split(/\s+/);
    if (controllers.includes('cpu')) return { version: 2, root: m.dir };
  }
  const v1 = all.find(m => m.type === 'cgroup' && m.options.includes('cpu'));
  if (v1) {
    // Inside the bench's own groups (a container's, say), not above them.
    const own = controller => (read('/proc/self/cgroup') ?? '').split('\n').map(l => l.split(':')).find(([, c]) => c?.split(',').includes(controller))?.[2] ?? '/';
    const acct = all.find(m => m.type === 'cgroup' && m.options.includes('cpuacct'));
    return { version: 1, root: path.join(v1.dir, own('cpu')), accountingRoot: acct && path.join(acct.dir, own('cpuacct')) };
  }
  const v2 = all.find(m => m.type === 'cgroup2');
  return { reason: v2 ? `cgroup v2 at ${v2.dir} does not offer the cpu controller and no cgroup v1 hierarchy has it` : 'no cgroup hierarchy with the cpu controller is mounted' };
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Groups left by a bench that was killed: removed when empty (a group with processes cannot be). */
function removeStale(root) {
  let names = [];
  try {
    names = fs.readdirSync(root).filter(n => n.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(PREFIX.length));
    if (!Number.isInteger(pid) || isAlive(pid)) continue;
    removeTree(path.join(root, name));
  }
}

function removeTree(dir) {
  try {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) removeTree(path.join(dir, entry.name));
    }
    fs.rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

function dirsOf(group) {
  return group.acctDir && group.acctDir !== group.dir ? [group.dir, group.acctDir] : [group.dir];
}

function pidsIn(dir) {
  return (read(path.join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
}

/** Wraps a command so that it starts inside its group's directories (cgroup paths have no spaces). */
function wrapIn(dirs, command, args) {
  const procs = dirs.map(dir => path.join(dir, 'cgroup.procs')).join(' ');
  return ['/bin/sh', ['-c', 'for f in $0; do echo $$ > "$f" || exit 97; done; exec "$@"', procs, command, ...args]];
}

/**
 * A group's counters, cumulative: how long its budget held it back
 * (v1 throttled_time ns, v2 throttled_usec) and the CPU time it used.
 */
function counters(group) {
  const stat = Object.fromEntries((read(path.join(group.dir, 'cpu.stat')) ?? '').split('\n').map(l => l.split(' ')).map(([k, v]) => [k, Number(v)]));
  const throttledMs = stat.throttled_usec !== undefined ? stat.throttled_usec / 1000 : (stat.throttled_time ?? 0) / 1e6;
  let usageMs;
  if (stat.usage_usec !== undefined) usageMs = stat.usage_usec / 1000;
  else if (group.acctDir) usageMs = Number(read(path.join(group.acctDir, 'cpuacct.usage'))) / 1e6;
  return { throttledMs, usageMs: Number.isFinite(usageMs) ? usageMs : undefined };
}

/**
 * @param {object} o
 * @param {number} o.nodes      node groups to make (node-0 … node-N-1), plus `probe`
 * @param {number} o.nodeCpus   CPUs per group
 * @param {boolean} o.enabled   false: unisolated on purpose (--no-isolate)
 * @returns {{ isolated: boolean, reason?: string, describe: string, nodeCpus: number, spawnArgs(group, command, args): [string, string[]], counters(): object, close(): void }}
 */
function createIsolation({ nodes, nodeCpus, enabled }) {
  const cores = os.availableParallelism();
  const unisolated = reason => ({
    isolated: false,
    reason,
    nodeCpus: cores,
    describe: `UNISOLATED (${reason}): the ${nodes} nodes share ${cores} cores, so a node that finishes early lends its CPU to the others`,
    spawnArgs: (_group, command, args) => [command, args],
    counters: () => ({}),
    close() {},
  });
  if (!enabled) return unisolated('--no-isolate');
  if (process.platform !== 'linux') return unisolated(`cgroups are Linux only, this is ${process.platform}`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return unisolated('making cgroups needs root');
  const hierarchy = findHierarchy();
  if (!hierarchy.root) return unisolated(hierarchy.reason);

  removeStale(hierarchy.root);
  const parent = path.join(hierarchy.root, `${PREFIX}${process.pid}`);
  // v1 with cpuacct mounted apart: a twin parent there, for the CPU time each group used.
  const acctParent = hierarchy.accountingRoot && hierarchy.accountingRoot !== hierarchy.root ? path.join(hierarchy.accountingRoot, `${PREFIX}${process.pid}`) : undefined;
  if (acctParent) removeStale(hierarchy.accountingRoot);
  const groups = new Map();
  const quotaUs = Math.max(1000, Math.round(nodeCpus * PERIOD_US));
  let enabledAtRoot = false;
  try {
    fs.mkdirSync(parent);
    if (acctParent) fs.mkdirSync(acctParent);
    if (hierarchy.version === 2) {
      // v2 hands a controller down only where every ancestor enables it for its children.
      const rootControl = path.join(hierarchy.root, 'cgroup.subtree_control');
      if (!(read(rootControl) ?? '').split(/\s+/).includes('cpu')) {
        fs.writeFileSync(rootControl, '+cpu');
        enabledAtRoot = true;
      }
      fs.writeFileSync(path.join(parent, 'cgroup.subtree_control'), '+cpu');
    }
    for (const name of [...Array.from({ length: nodes }, (_, i) => `node-${i}`), 'probe']) {
      const dir = path.join(parent, name);
      fs.mkdirSync(dir);
      const acctDir = acctParent ? path.join(acctParent, name) : hierarchy.accountingRoot && dir;
      if (acctParent) fs.mkdirSync(acctDir);
      if (hierarchy.version === 2) {
        fs.writeFileSync(path.join(dir, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
      } else {
        fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
        fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
      }
      groups.set(name, { dir, acctDir });
    }
    // The wrapper itself must work here (a read-only cgroupfs fails only at the first write).
    const [command, args] = wrapIn(dirsOf(groups.get('probe')), '/bin/sh', ['-c', 'cat /proc/self/cgroup']);
    const seen = execFileSync(command, args, { encoding: 'utf8' });
    if (!seen.includes(`${PREFIX}${process.pid}/probe`)) throw new Error(`a process did not land in its group (it is in ${seen.trim().replace(/\n/g, '; ')})`);
  } catch (error) {
    removeTree(parent);
    if (acctParent) removeTree(acctParent);
    return unisolated(`could not set up cgroup v${hierarchy.version} groups under ${hierarchy.root}: ${error.message}`);
  }

  let setting = hierarchy.version === 2 ? `cpu.max "${quotaUs} ${PERIOD_US}"` : `cpu.cfs_quota_us=${quotaUs} / cpu.cfs_period_us=${PERIOD_US}`;
  if (enabledAtRoot) setting += `; the cpu controller was enabled in ${hierarchy.root}/cgroup.subtree_control and is left so`;
  let closed = false;
  return {
    isolated: true,
    nodeCpus,
    cgroup: { version: hierarchy.version, parent, setting },
    describe: `ISOLATED: each node in its own cgroup v${hierarchy.version} with ${nodeCpus} CPU (${setting}), ${cores} cores in all; the bound's start-up probe runs with the same budget`,
    spawnArgs(name, command, args) {
      const group = groups.get(name);
      if (!group) throw new Error(`no cgroup ${name}: only node-0..node-${nodes - 1} and probe`);
      return wrapIn(dirsOf(group), command, args);
    },
    counters() {
      return Object.fromEntries([...groups].map(([name, group]) => [name, counters(group)]));
    },
    /**
     * Processes still in the node groups (a worker that outlived its Jest):
     * they would spend the next approach's budget. Kills them; returns how many.
     */
    /** SIGKILLs every process in `names`' groups (all of them by default): a machine that dies, or leftovers. */
    sweep(names) {
      let killed = 0;
      for (const [name, { dir }] of groups) {
        if (names !== undefined && !names.includes(name)) continue;
        for (const pid of pidsIn(dir)) {
          try {
            process.kill(pid, 'SIGKILL');
            killed += 1;
          } catch {
            // already gone
          }
        }
      }
      return killed;
    },
    /** Kills what is still in the groups (only processes this bench started are there) and removes them; safe to call twice. */
    close() {
      if (closed) return;
      closed = true;
      for (const { dir } of groups.values()) {
        for (const pid of pidsIn(dir)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      // A killed process leaves its group a moment after the signal.
      const deadline = Date.now() + 5000;
      for (const dir of [parent, acctParent].filter(Boolean)) {
        while (!removeTree(dir) && Date.now() < deadline) execFileSync('sleep', ['0.1']);
        if (fs.existsSync(dir)) process.stderr.write(`[bench] could not remove ${dir}; remove it with: rmdir ${dir}/* ${dir}\n`);
      }
    },
  };
}

module.exports = { createIsolation };
