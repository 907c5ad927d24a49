#!/usr/bin/env node
'use strict';
/**
 * `npm run demo`: one Jest suite spread over several concurrent `jest`
 * processes through the orchestrator this package ships, the way CI shards
 * would run it, then the same suite on one node for comparison.
 *
 *   orchestrator (in this process, 127.0.0.1, random port and key)
 *        ▲ ws          ▲ ws          ▲ ws
 *     jest #0       jest #1       jest #2      (cwd examples/basic, runner: 'jest-fast-ci')
 *
 * Each node's output is labelled with the index the server gave it; a
 * status line shows the whole run from the server's side; the final table
 * is counted from the server's record of the run.
 */
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs, UsageError, USAGE, REPO } = require('./args');
const { startJest } = require('./jestProcess');
const { countFinishedFiles, formatProgress, seconds } = require('./progress');
const { createScreen } = require('./screen');
const { parseTiming, renderComparison, renderTable, tableRows, totals } = require('./table');

const POLL_MS = 200;

function loadServer() {
  try {
    return require('jest-fast-ci/server');
  } catch (error) {
    throw new Error(`Cannot load jest-fast-ci/server (${error.message}). Build first: npm run build (npm run demo does it).`);
  }
}

/**
 * Starts the nodes and waits for all of them. Lines are held back until the
 * server has told which index a node got (matched through FAST_CI_NODE_ID),
 * so every line carries the same label as the final table. A node prints
 * almost nothing before it joins; one that exits without joining (a config
 * error, say) is labelled by launch order.
 */
async function runNodes({ server, screen, project, buildId, key, count, colour, children }) {
  const started = performance.now();
  const nodes = Array.from({ length: count }, (_, launch) => ({
    launch,
    nodeId: `${buildId}-launch-${launch}`,
    index: undefined,
    prefix: undefined,
    held: [],
  }));

  const label = node => {
    if (node.prefix !== undefined) return;
    node.prefix = node.index === undefined ? screen.label(`launch ${node.launch}`) : screen.label(`node ${node.index}`, node.index);
    for (const line of node.held) screen.line(node.prefix, line);
    node.held = [];
  };
  const poll = () => {
    const run = server.run(buildId);
    for (const joined of run?.nodes ?? []) {
      const node = nodes.find(n => n.nodeId === joined.nodeId);
      if (node && node.index === undefined) {
        node.index = joined.index;
        label(node);
      }
    }
    screen.status(formatProgress(run, performance.now() - started));
    return run;
  };

  const processes = nodes.map(node => {
    const { child, done } = startJest({
      cwd: project,
      env: {
        FAST_CI_SECRET_KEY: key,
        FAST_CI_SERVER: server.url,
        FAST_CI_BUILD_ID: buildId,
        FAST_CI_NODE_ID: node.nodeId,
        // The demo is about orchestration: a node that cannot reach the server must fail, not quietly run everything.
        FAST_CI_FALLBACK: 'off',
        // Jest writes to a pipe here; keep its colours when the demo itself is on a terminal.
        FORCE_COLOR: colour ? '1' : '0',
      },
      onLine: line => {
        node.timing ??= parseTiming(line);
        if (node.prefix === undefined) poll();
        if (node.prefix === undefined) node.held.push(line);
        else screen.line(node.prefix, line);
      },
    });
    children.add(child);
    return done.then(outcome => {
      children.delete(child);
      poll();
      label(node);
      return outcome;
    });
  });

  const timer = setInterval(poll, POLL_MS);
  const outcomes = await Promise.all(processes);
  clearInterval(timer);
  const runWallMs = performance.now() - started;
  const run = poll();
  nodes.forEach(label);
  screen.status(formatProgress(run, runWallMs), { force: true });
  screen.endStatus();
  return { run, runWallMs, processes: nodes.map((node, i) => ({ ...outcomes[i], nodeIndex: node.index, launch: node.launch, timing: node.timing })) };
}

/**
 * The same suite as one plain jest process: without FAST_CI_SECRET_KEY the
 * runner hands every file to Jest's own runner, exactly like a project
 * without jest-fast-ci. Its output is only shown if it fails.
 */
async function runBaseline({ screen, project, totalFiles, colour, children }) {
  const started = performance.now();
  let finished = 0;
  const tail = [];
  const status = (force = false) =>
    screen.status(`▸ 1 node (plain jest): ${finished}/${totalFiles} files · ${seconds(performance.now() - started)}`, { force });
  const { child, done } = startJest({
    cwd: project,
    env: { FORCE_COLOR: colour ? '1' : '0' },
    onLine: line => {
      finished += countFinishedFiles(line);
      tail.push(line);
      if (tail.length > 200) tail.shift();
    },
  });
  children.add(child);
  const timer = setInterval(status, POLL_MS);
  const outcome = await done;
  clearInterval(timer);
  children.delete(child);
  status(true);
  screen.endStatus();
  if (outcome.code !== 0) {
    const prefix = screen.label('1 node');
    for (const line of tail) screen.line(prefix, line);
  }
  return { ...outcome, files: finished };
}

/** Why the run is not a success, one line each; empty when it is. */
function problems(run, processes, rows) {
  const found = [];
  const enqueued = Object.keys(run?.enqueued ?? {});
  if (enqueued.length === 0) found.push('no test file was enqueued (did node 0 start?)');
  const missing = enqueued.filter(id => !(id in run.results));
  if (missing.length > 0) found.push(`${missing.length} file(s) never ran: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  const failures = totals(rows, 0).failures;
  if (failures > 0) found.push(`${failures} failure(s) recorded by the server`);
  for (const p of processes) {
    if (p.code !== 0) {
      const who = p.nodeIndex === undefined ? `launch ${p.launch}` : `node ${p.nodeIndex}`;
      found.push(`${who} exited with ${p.code ?? p.signal}`);
    }
  }
  return found;
}

/**
 * After the run, the dashboard stays up for a look at the finished run: on
 * a terminal until Enter, with --keep-server until Ctrl-C. Without either
 * (a CI log, the demo's own test) the demo ends at once.
 */
function keepServerUp(screen, server, keepServer) {
  const interactive = Boolean(process.stdin.isTTY);
  if (!interactive && !keepServer) return Promise.resolve();
  screen.print();
  screen.print(`The dashboard is still up: ${server.dashboardUrl} (sign in with the view token printed above).`);
  screen.print(interactive ? 'Press Enter to stop the server.' : 'Stop the server with Ctrl-C.');
  return new Promise(resolve => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      process.stdin.pause();
      resolve();
    };
    if (interactive) process.stdin.resume().once('data', done);
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

function writeJson(file, report) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

async function main(argv) {
  const options = parseArgs(argv);
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { startServer } = loadServer();
  const screen = createScreen();
  const colour = screen.interactive;
  // Never printed: the nodes get it through their environment only. DEMO_SECRET_KEY lets a test check that.
  const key = process.env.DEMO_SECRET_KEY || randomBytes(24).toString('base64url');
  const buildId = `demo-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const children = new Set();

  // Printed, unlike the key: a read-only credential for this demo's dashboard, pasted into its sign-in form.
  const viewToken = randomBytes(18).toString('base64url');
  const server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [key], viewToken });
  const stop = signal => {
    // The children got the same Ctrl-C from the terminal; this covers a `kill` aimed at the demo alone.
    for (const child of children) child.kill(signal);
    void server.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    const project = path.relative(REPO, options.project) || '.';
    screen.print(`jest-fast-ci demo: ${project} on ${options.nodes} concurrent jest processes`);
    screen.print(`orchestrator ${server.url} (embedded, build ${buildId}, generated key not shown)`);
    screen.print(`dashboard    ${server.dashboardUrl} (open it and sign in with the view token ${viewToken})`);
    screen.print();

    const distributed = await runNodes({ server, screen, project: options.project, buildId, key, count: options.nodes, colour, children });
    const rows = tableRows(distributed.run, distributed.processes);
    const found = problems(distributed.run, distributed.processes, rows);

    let baseline;
    if (options.baseline) {
      screen.print();
      screen.print('Now the same suite on one node, as plain jest (no orchestrator), for comparison…');
      const totalFiles = Object.keys(distributed.run?.enqueued ?? {}).length;
      baseline = await runBaseline({ screen, project: options.project, totalFiles, colour, children });
      if (baseline.code !== 0) found.push(`the single-node run exited with ${baseline.code ?? baseline.signal}`);
    }

    screen.print();
    for (const line of renderTable(rows, distributed.runWallMs)) screen.print(line);
    screen.print();
    screen.print(renderComparison(options.nodes, distributed.runWallMs, baseline?.wallMs));
    screen.print(found.length === 0 ? 'Every file ran exactly once and passed.' : `FAILED:\n  ${found.join('\n  ')}`);

    if (options.json) {
      const { frames: _frames, ...run } = distributed.run ?? {};
      writeJson(options.json, {
        project,
        buildId,
        nodes: options.nodes,
        runWallMs: Math.round(distributed.runWallMs),
        baselineMs: baseline === undefined ? null : Math.round(baseline.wallMs),
        speedup: baseline === undefined ? null : Number((baseline.wallMs / distributed.runWallMs).toFixed(2)),
        rows,
        problems: found,
        run,
      });
    }
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await keepServerUp(screen, server, options.keepServer);
    return found.length === 0 ? 0 : 1;
  } finally {
    await server.close();
  }
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  error => {
    process.stderr.write(`demo: ${error.message}\n`);
    if (error instanceof UsageError) process.stderr.write(`\n${USAGE}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
