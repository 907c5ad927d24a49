/**
 * Quarantine as a team uses it: a test put in quarantine with the CLI
 * (`jest-fast-ci quarantine add`, the built CLI against a real server, the
 * view token refused), then real jest nodes: its failure does not fail the
 * run and every node names it, `--json` keeps its failed status, the
 * `report` mode still fails, and a quarantined test whose file fails to
 * load fails the run. The tests share the server and run in order: the
 * first puts the tests in quarantine, the last takes one out.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { fixture, REPO, runJestNode } from '../helpers/jestNodes';
import { startChild } from '../helpers/processes';

const CLI = path.join(REPO, 'dist/cli.js');
const KEY = 'quarantine-secret-9d2f';
const VIEW = 'quarantine-view-token-44';
let server: OrchestratorServer;
let dir: string;

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], viewToken: VIEW, warn: () => undefined });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-quarantine-'));
});

afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], key = KEY) {
  return startChild(process.execPath, [CLI, 'quarantine', ...args], { cwd: REPO, env: { PATH: process.env.PATH ?? '', FAST_CI_SERVER: server.url, FAST_CI_SECRET_KEY: key } }).done;
}

function nodes(files: string[], env: Record<string, string> = {}, args: string[] = [], buildId = randomUUID()) {
  const base = { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId, ...env };
  return Promise.all([0, 1].map(i => runJestNode({ cwd: fixture('quarantine'), env: base, args: [...files, ...args.map(a => a.replace('{i}', String(i)))] })));
}

it('puts a test in quarantine with the CLI and the key, refuses the view token, and lists it', async () => {
  const refused = await cli(['add', 'test/cart.test.js', 'cart flips', '--reason', 'clock race, #77'], VIEW);
  expect(refused).toExitWith(1);
  expect(refused.output).toContain('403');
  expect(refused.output).toContain('the view token');
  const added = await cli(['add', 'test/cart.test.js', 'cart flips', '--reason', 'clock race, #77', '--days', '7']);
  expect(added).toExitWith(0);
  expect(added.output).toContain('quarantined: test/cart.test.js › cart flips');
  const usage = await cli(['add', 'test/cart.test.js', 'cart flips']);
  expect(usage).toExitWith(2);
  expect(usage.output).toContain('needs --reason');
  expect((await cli(['add', 'test/broken.test.js', 'broken loads', '--reason', 'loads a module that moved']))).toExitWith(0);
  const listed = await cli(['list']);
  expect(listed).toExitWith(0);
  expect(listed.output).toContain('2 quarantined tests of run key jest:');
  expect(listed.output).toMatch(/test\/cart\.test\.js › cart flips \(by cli, until \d{4}-\d\d-\d\d\): clock race, #77/);
});

it("does not fail the run for a quarantined test's failure, names it on every node, and --json keeps its failed status", async () => {
  const outcomes = await nodes(['test/cart', 'test/ok'], {}, [`--json`, `--outputFile=${path.join(dir, 'results-{i}.json')}`]);
  for (const outcome of outcomes) {
    expect(outcome).toExitWith(0);
    expect(outcome.output).toContain('jest-fast-ci ▸ 1 quarantined test failed and did not fail the run');
    expect(outcome.output).toMatch(/● test\/cart\.test\.js › cart flips \(node \d\): expect\(received\)\.toBe\(expected\)/);
  }
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'results-0.json'), 'utf8')) as { testResults: Array<{ assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }> }> };
  const flips = json.testResults.flatMap(f => f.assertionResults).find(a => a.fullName === 'cart flips')!;
  expect(flips.status).toBe('failed');
  expect(flips.failureMessages[0]).toContain('[quarantined: jest-fast-ci does not fail the run for this test]');
});

it("counts it apart on the server, nodes reporting their own files pass, --bail does not stop for it, and the nodes' blob files merge green", async () => {
  const buildId = randomUUID();
  const blobs = path.join(dir, 'blobs');
  const outcomes = await nodes(['test/cart', 'test/ok'], { FAST_CI_REPORT: 'node', FAST_CI_BLOB_DIR: blobs }, ['--bail'], buildId);
  for (const outcome of outcomes) {
    expect(outcome).toExitWith(0);
    expect(outcome.output).toContain('failed in quarantined tests only');
  }
  const run = await server.waitForRun(buildId);
  expect(run.summary).toMatchObject({ files: 2, failed: 0, quarantined: ['test/cart.test.js'] });
  expect(run.summary.stopped).toBeUndefined();
  expect(run.results['test/cart.test.js']!.entry.file_status).toBe('failed');
  const merged = await startChild(process.execPath, [CLI, 'merge', blobs, '--', 'test/cart', 'test/ok'], { cwd: fixture('quarantine'), env: { PATH: process.env.PATH ?? '', FORCE_COLOR: '0' } }).done;
  expect(merged).toExitWith(0);
  expect(merged.output).toContain('1 quarantined test failed and did not fail the run');
  const strict = await startChild(process.execPath, [CLI, 'merge', blobs, '--', 'test/cart', 'test/ok'], { cwd: fixture('quarantine'), env: { PATH: process.env.PATH ?? '', FORCE_COLOR: '0', FAST_CI_QUARANTINE: 'off' } }).done;
  expect(strict).toExitWith(1);
});

it('still fails the run with FAST_CI_QUARANTINE=report, naming the test', async () => {
  for (const outcome of await nodes(['test/cart', 'test/ok'], { FAST_CI_QUARANTINE: 'report' })) {
    expect(outcome).toExitWith(1);
    expect(outcome.output).toContain('FAST_CI_QUARANTINE=report still fails the run for 1 test');
  }
  // Each node reporting its own files: the one that ran the file fails, though the server counts the file apart.
  const own = await nodes(['test/cart', 'test/ok'], { FAST_CI_QUARANTINE: 'report', FAST_CI_REPORT: 'node' });
  const ranCart = own.filter(o => /test\/cart\.test\.js/.test(o.output));
  expect(ranCart).toHaveLength(1);
  expect(ranCart[0]).toExitWith(1);
});

it('fails the run when a quarantined test is in a file that fails to load: a suite-level error is never masked', async () => {
  for (const outcome of await nodes(['test/broken', 'test/ok'])) {
    expect(outcome).toExitWith(1);
    expect(outcome.output).toContain("Cannot find module './does-not-exist'");
  }
});

it('lets the test go with the CLI, the change audited', async () => {
  expect(await cli(['remove', 'test/cart.test.js', 'cart flips', '--reason', 'fixed in #78'])).toExitWith(0);
  const res = await fetch(`${server.dashboardUrl}api/quarantine/jest`, { headers: { authorization: `Bearer ${VIEW}` }, signal: AbortSignal.timeout(5_000) });
  const view = (await res.json()) as { tests: Array<{ name: string }>; audit: Array<{ action: string; name: string; by: string; why: string }> };
  expect(view.tests.map(t => t.name)).toEqual(['broken loads']);
  expect(view.audit.filter(a => a.name === 'cart flips').map(a => [a.action, a.by, a.why])).toEqual([
    ['add', 'cli', 'clock race, #77'],
    ['remove', 'cli', 'fixed in #78'],
  ]);
});
