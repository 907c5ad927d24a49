/**
 * Test-level splitting (the parts extension): a file that holds most of a
 * suite's work runs in parts on several nodes at once, each part running
 * its share of the file's tests, and every node's reporters see the file
 * once, whole. Real jest nodes on the split fixture: a first run teaches
 * the server the heavy file's tests; the next runs split it.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { fixture, REPO, runJestNode, startJestNode, until, type NodeOutcome } from '../helpers/jestNodes';
import { startChild } from '../helpers/processes';

const KEY = 'split-secret-5c1e';
const HEAVY = 'test/heavy.test.js';
const TESTS = [
  'step one', 'step two', 'step three', 'step four', 'step five', 'step six', 'step seven', 'step eight',
  'nine.* or ten?', 'ten | eleven', 'eleven $ ^twelve', 'twelve \\ back/slash',
];
let server: OrchestratorServer;
let tmp: string;
let cacheDir: string;

beforeAll(async () => {
  // Parts from 1 s up: the heavy file takes about 3 s whole.
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], splitMinSeconds: 1 });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-split-'));
  // One Jest cache for every run, as a CI cache would keep it: the node that enqueues sends the heavy file's last duration.
  cacheDir = path.join(tmp, 'cache');
  const first = await runNodes(1, 'learn', {});
  expect(first[0]).toExitWith(0);
  expect(server.run(first.buildId)!.parts).toBeUndefined();
});

afterAll(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Run = NodeOutcome[] & { buildId: string; marks: string };

/**
 * `count` nodes of one run (2 workers each unless `args` say otherwise); MARK_DIR collects which test ran in which
 * process. Six light files of 0.75 s and the heavy file's 12 tests of 0.25 s: the heavy file is 40 % of the work.
 */
async function runNodes(count: number, name: string, env: Record<string, string>, args: string[] = []): Promise<Run> {
  const buildId = `${name}-${randomUUID()}`;
  const marks = path.join(tmp, name);
  fs.mkdirSync(marks, { recursive: true });
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      runJestNode({
        cwd: fixture('split'),
        args: ['--ci', '--maxWorkers=2', `--cacheDirectory=${cacheDir}`, ...args],
        env: {
          FAST_CI_SECRET_KEY: KEY,
          FAST_CI_SERVER: server.url,
          FAST_CI_BUILD_ID: buildId,
          FAST_CI_NODE_INDEX: String(i),
          FAST_CI_NODE_TOTAL: String(count),
          MARK_DIR: marks,
          SLOW_MS: '250',
          LIGHT_MS: '750',
          COVERAGE_DIR: path.join(marks, `coverage-${i}`),
          ...env,
        },
      }),
    ),
  );
  return Object.assign(outcomes, { buildId, marks });
}

/** Each test's markers: the processes it ran in. */
function processesByTest(marks: string): Map<string, string[]> {
  const byTest = new Map<string, string[]>();
  for (const file of fs.readdirSync(marks).filter(f => /\.\d+$/.test(f))) {
    const [, test, pid] = /^(.*)\.(\d+)$/.exec(file)!;
    byTest.set(test!, [...(byTest.get(test!) ?? []), pid!]);
  }
  return byTest;
}

const markerName = (test: string): string => test.replace(/[^\w]+/g, '_');

it('runs a slow file in parts on several nodes at once, every test exactly once, and reports it whole with merged coverage', async () => {
  // 4 nodes of 1 worker: 4 slots. Every test of the file waits until 2 nodes run tests of it: parts run at the same time.
  const run = await runNodes(4, 'split', { WAIT_FOR_NODES: '2', COVERAGE_LINES: '100' }, ['--coverage', '--maxWorkers=1']);
  for (const outcome of run) expect(outcome).toExitWith(0);

  const snapshot = server.run(run.buildId)!;
  const parts = Object.entries(snapshot.parts ?? {});
  // About one slot's share each: 2 to 4 parts, by how long the light files took last time.
  expect(parts.length).toBeGreaterThanOrEqual(2);
  expect(parts.length).toBeLessThanOrEqual(4);
  expect(parts.map(([id]) => id).sort()).toEqual(parts.map((_, i) => `${HEAVY}#part-${i + 1}-of-${parts.length}`));
  expect(new Set(parts.map(([, p]) => p.result!.nodeIndex)).size).toBeGreaterThanOrEqual(2);
  // The server's result for the file is the parts' merged: all 12 tests.
  expect(snapshot.results[HEAVY]!.entry).toMatchObject({ file_status: 'passed', test_count: 12, test_counters: { passed: 12, failed: 0 } });
  expect(snapshot.summary).toMatchObject({ files: 7, passed: 7, failed: 0 });

  const ran = processesByTest(run.marks);
  expect([...ran.keys()].sort()).toEqual(TESTS.map(markerName).sort());
  for (const pids of ran.values()) expect(pids).toHaveLength(1);
  expect(new Set([...ran.values()].flat()).size).toBeGreaterThanOrEqual(2);

  for (const [i, outcome] of run.entries()) {
    // Each node reports the whole run: the heavy file once, with all its tests.
    expect(outcome.output).toMatch(/Test Suites: 7 passed, 7 total/);
    expect(outcome.output).toMatch(/Tests: +18 passed, 18 total/);
    expect(outcome.output.match(/PASS test\/heavy\.test\.js/g)).toHaveLength(1);
    // 100 % of src/ only with every part's coverage: the threshold passed.
    const summary = JSON.parse(fs.readFileSync(path.join(run.marks, `coverage-${i}`, 'coverage-summary.json'), 'utf8'));
    expect(summary.total.lines.pct).toBe(100);
  }
});

it('fails the file, on every node, when a test of one part fails', async () => {
  const run = await runNodes(2, 'fail', { FAIL_TEST: 'ten | eleven' });
  for (const outcome of run) {
    expect(outcome).toExitWith(1);
    expect(outcome.output).toMatch(/FAIL test\/heavy\.test\.js/);
    expect(outcome.output).toMatch(/● odd \(names\) \[here\] › ten \| eleven/);
    expect(outcome.output).toMatch(/Tests: +1 failed, 17 passed, 18 total/);
  }
  const snapshot = server.run(run.buildId)!;
  expect(Object.keys(snapshot.parts ?? {}).length).toBeGreaterThan(1);
  expect(snapshot.results[HEAVY]!.entry).toMatchObject({ file_status: 'failed', test_count: 12, test_counters: { passed: 11, failed: 1 } });
  expect(snapshot.summary).toMatchObject({ files: 7, failed: 1 });
});

it('does not fail the run for a quarantined test of a split file: its part fails, and every node names it', async () => {
  // Jest's full name of the test the fixture fails (describe blocks and title, joined by spaces).
  const change = { file: HEAVY, name: 'odd (names) [here] ten | eleven', reason: 'fails on purpose in this test' };
  const res = await fetch(`${server.dashboardUrl}api/quarantine/jest`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(change), signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  try {
    const run = await runNodes(2, 'quarantined', { FAIL_TEST: 'ten | eleven' });
    expect(Object.keys(server.run(run.buildId)!.parts ?? {}).length).toBeGreaterThan(1);
    for (const outcome of run) {
      expect(outcome).toExitWith(0);
      expect(outcome.output).toContain('jest-fast-ci ▸ 1 quarantined test failed and did not fail the run');
      expect(outcome.output).toContain('● test/heavy.test.js › odd (names) [here] ten | eleven');
    }
    // The server merged the parts' entries and counts the file apart, by the same rule.
    expect(server.run(run.buildId)!.summary).toMatchObject({ files: 7, failed: 0, quarantined: [HEAVY] });
  } finally {
    await fetch(`${server.dashboardUrl}api/quarantine/jest`, { method: 'DELETE', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...change, reason: 'done' }), signal: AbortSignal.timeout(5_000) });
  }
});

it('runs every file whole with FAST_CI_SPLIT=off; with FAST_CI_REPORT=node a node reports its parts as one file, and jest-fast-ci merge the whole file', async () => {
  const whole = await runNodes(2, 'off', { FAST_CI_SPLIT: 'off' });
  for (const outcome of whole) expect(outcome).toExitWith(0);
  expect(server.run(whole.buildId)!.parts).toBeUndefined();
  expect(new Set([...processesByTest(whole.marks).values()].flat()).size).toBe(1);

  const blobs = path.join(tmp, 'blobs');
  const own = await runNodes(2, 'own', { FAST_CI_REPORT: 'node', FAST_CI_BLOB_DIR: blobs });
  for (const outcome of own) expect(outcome).toExitWith(0);
  const parts = Object.values(server.run(own.buildId)!.parts ?? {});
  expect(parts.length).toBeGreaterThanOrEqual(2);
  for (const outcome of own) {
    // The parts this node ran, as one file: never one line per part.
    const ranParts = parts.filter(p => p.result!.nodeIndex === outcome.nodeIndex).length;
    expect(outcome.output.match(/PASS test\/heavy\.test\.js/g) ?? []).toHaveLength(ranParts > 0 ? 1 : 0);
  }
  const testsSeen = own.map(o => Number(/Tests: +(\d+) passed/.exec(o.output)![1]));
  // Between them the nodes ran the 12 tests of the heavy file once and the 6 light ones.
  expect(testsSeen.reduce((a, b) => a + b, 0)).toBe(18);

  // The blob files carry the parts; the merge hands Jest the heavy file once, whole.
  const merged = await startChild(process.execPath, [path.join(REPO, 'dist/cli.js'), 'merge', blobs, '--', '--ci'], {
    cwd: fixture('split'),
    env: { PATH: process.env.PATH ?? '', FORCE_COLOR: '0' },
  }).done;
  expect(merged).toExitWith(0);
  expect(merged.output.match(/PASS test\/heavy\.test\.js/g)).toHaveLength(1);
  expect(merged.output).toMatch(/Tests: +18 passed, 18 total/);
  expect(merged.output).toContain('jest-fast-ci ▸ merged 2 blob files: 7 files, 18 tests: 18 passed');
});

it('splits a slow file with no FAST_CI_NODE_TOTAL on the second run of a key: the server remembers how many nodes the last run had', async () => {
  // A server of its own: its history has seen no run of this key before.
  const own = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], splitMinSeconds: 1 });
  try {
    // GitHub Actions gives no node total; one worker a node, so slots are nodes.
    const node = (buildId: string, i: number) =>
      startJestNode({
        cwd: fixture('split'),
        args: ['--ci', '--maxWorkers=1', `--cacheDirectory=${path.join(tmp, 'remembered-cache')}`],
        env: { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: own.url, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_INDEX: String(i), FAST_CI_NODE_TOTAL: undefined, SLOW_MS: '250', LIGHT_MS: '750' },
      });
    const first = `remembered-1-${randomUUID()}`;
    // Three nodes: the heavy file (3 s of 7.5) is over a third of the work.
    for (const outcome of await Promise.all([0, 1, 2].map(i => node(first, i).done))) expect(outcome).toExitWith(0);
    expect(own.run(first)!.parts).toBeUndefined();
    // The second run's node 0 enqueues alone (one slot here): only the remembered node count can make it split.
    const second = `remembered-2-${randomUUID()}`;
    const a = node(second, 0);
    await until(() => (own.run(second)?.state === 'running' ? true : undefined), 'node 0 to enqueue');
    expect(own.run(second)!.nodes).toHaveLength(1);
    const others = [1, 2].map(i => node(second, i));
    for (const outcome of await Promise.all([a.done, ...others.map(n => n.done)])) expect(outcome).toExitWith(0);
    const parts = Object.values(own.run(second)!.parts ?? {});
    expect(parts.map(p => p.file)).toEqual([HEAVY, HEAVY]);
    expect(own.run(second)!.warnings).toContain('split 1 slow file into 2 parts (3 slots)');
  } finally {
    await own.close();
  }
});
