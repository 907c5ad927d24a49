/**
 * One run, one report (issue 10): each node's Jest reporters see the whole
 * run, so coverage (merged, with its thresholds), JUnit, `--json` and the
 * summary equal a plain single run's; blob files replayed by `jest-fast-ci
 * merge` give the same. Real jest nodes on the `coverage` fixture, whose
 * test files each cover one module, so no node alone reaches the run's
 * coverage (92.5 % of lines).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { startFrameProxy } from '../helpers/frameProxy';
import { filesRun, fixture, fixtureFiles, REPO, runJestNode, until, type NodeOutcome } from '../helpers/jestNodes';
import { Gates, startGatedNodes } from '../helpers/gates';
import { readOutputs, writingTo, type ReportOutputs } from '../helpers/reportOutputs';
import { startChild } from '../helpers/processes';

const KEY = 'reporting-secret-6a1f';
const JEST29 = path.join(REPO, 'test/compat/jest29/node_modules/jest/bin/jest.js');
const COVERAGE = fixture('coverage');
/** Jest 30's words for a missed threshold (Jest 29 says 'Jest: "global" coverage threshold for lines (95%) not met: 92.5%'). */
const THRESHOLD_MISSED = 'Jest: Coverage for lines (92.5%) does not meet "global" threshold (95%)';

let server: OrchestratorServer;
let out: string;

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
});

afterAll(() => server.close());

beforeEach(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-reporting-'));
});

afterEach(() => fs.rmSync(out, { recursive: true, force: true }));

type Outputs = ReportOutputs;

/**
 * Istanbul's per-file `hash` is of the source and its path, so it differs
 * between two checkouts of the same code; every count and location is compared.
 */
function withoutHashes(coverage: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(coverage).map(([file, data]) => [file, { ...(data as object), hash: undefined }]));
}

/** What a node (or a plain run) wrote under `out/<name>`. */
function outputs(name: string): Outputs {
  return readOutputs(path.join(out, name));
}

/** Env and arguments that make a jest process write its outputs under `out/<name>`. */
function writing(name: string, env: Record<string, string> = {}): { env: Record<string, string>; args: string[] } {
  return writingTo(path.join(out, name), env);
}

/** A plain single run, the reference. */
async function plain(name: string, env: Record<string, string> = {}, cwd = COVERAGE, jestBin?: string): Promise<Outputs> {
  const w = writing(name, env);
  expect(await runJestNode({ cwd, env: w.env, args: w.args, jestBin })).toExitWith(0);
  return outputs(name);
}

/** `count` nodes of one run, node i writing under `out/node<i>`. */
function nodes(count: number, env: Record<string, string> = {}, options: { cwd?: (i: number) => string; jestBin?: string; url?: string } = {}): Promise<NodeOutcome[]> {
  const buildId = randomUUID();
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const w = writing(`node${i}`, { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: options.url ?? server.url, FAST_CI_BUILD_ID: buildId, ...env });
      return runJestNode({ cwd: options.cwd?.(i) ?? COVERAGE, env: w.env, args: w.args, jestBin: options.jestBin });
    }),
  );
}

describe('whole-run reporting (FAST_CI_REPORT=run, the default)', () => {
  it('every node reports the whole run: coverage-final.json, JUnit and --json equal a plain single run; a threshold only the run meets passes', async () => {
    const reference = await plain('plain');
    const outcomes = await nodes(3, { COVERAGE_LINES: '90' });
    // Each ran its share; together, the run.
    expect(outcomes.map(o => Number(/ran (\d+) of 6 files here/.exec(o.output)![1])).reduce((a, b) => a + b, 0)).toBe(6);
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome).toExitWith(0);
      const node = outputs(`node${i}`);
      expect(node.coverage).toEqual(reference.coverage);
      expect(node.junitCases).toEqual(reference.junitCases);
      expect(node.junitCases).toHaveLength(16);
      expect(node.json).toMatchObject({ numTotalTests: 16, numPassedTests: 16, numFailedTests: 0, numTotalTestSuites: 6, success: true });
    }
  });

  it('the same threshold fails every node that reports only its own files (FAST_CI_REPORT=node)', async () => {
    const outcomes = await nodes(3, { COVERAGE_LINES: '90', FAST_CI_REPORT: 'node' });
    for (const outcome of outcomes) {
      expect(outcome).toExitWith(1);
      expect(outcome.output).toMatch(/Jest: Coverage for lines \(\d+(\.\d+)?%\) does not meet "global" threshold \(90%\)/);
    }
  });

  it("a threshold the run misses fails every node with Jest's own message", async () => {
    for (const outcome of await nodes(3, { COVERAGE_LINES: '95' })) {
      expect(outcome).toExitWith(1);
      expect(outcome.output).toContain(THRESHOLD_MISSED);
    }
  });

  it('the v8 coverage provider too', async () => {
    const reference = await plain('plain', { COVERAGE_PROVIDER: 'v8' });
    const outcomes = await nodes(3, { COVERAGE_PROVIDER: 'v8', COVERAGE_LINES: '90' });
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome).toExitWith(0);
      expect(outputs(`node${i}`).coverage).toEqual(reference.coverage);
    }
  });

  it('two copies of the project in different directories: paths are moved to each machine\'s own', async () => {
    const copies = [0, 1].map(i => path.join(REPO, '.tmp', `coverage-copy-${process.pid}-${i}`));
    for (const copy of copies) fs.cpSync(COVERAGE, copy, { recursive: true });
    try {
      const reference = await plain('plain', {}, copies[0]);
      const outcomes = await nodes(2, {}, { cwd: i => copies[i]! });
      for (const outcome of outcomes) expect(outcome).toExitWith(0);
      expect(withoutHashes(outputs('node0').coverage)).toEqual(withoutHashes(reference.coverage));
      const other = JSON.stringify(outputs('node1').coverage);
      expect(other).toContain(copies[1]);
      expect(other).not.toContain(copies[0]);
    } finally {
      for (const copy of copies) fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('on Jest 29.7 too', async () => {
    const reference = await plain('plain', {}, COVERAGE, JEST29);
    const outcomes = await nodes(2, { COVERAGE_LINES: '90' }, { jestBin: JEST29 });
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome).toExitWith(0);
      expect(outputs(`node${i}`).coverage).toEqual(reference.coverage);
      expect(outputs(`node${i}`).junitCases).toEqual(reference.junitCases);
    }
  });

  it("other nodes' results reach a node's reporters while its own files still run: followed, not replayed at the end", async () => {
    const gates = new Gates();
    try {
      const buildId = randomUUID();
      // One worker each: node-b's is held, so any file its reporters show meanwhile ran on node-a.
      const [a, b] = startGatedNodes(gates, server.url, KEY, buildId, { env: { FAST_CI_REPORT: 'run' }, workers: 1 });
      const held = await gates.startedBy('node-b', 1);
      for (let i = 1; i <= 8; i += 1) if (!held.includes(`gated${i}`)) gates.open(`gated${i}`);
      const streamed = await until(() => filesRun(b!.output()).find(id => !held.some(name => id === `test/${name}.test.js`)), "node-a's results on node-b while node-b's files run");
      expect(held.map(name => `test/${name}.test.js`)).not.toContain(streamed);
      gates.openAll();
      const outcomes = await Promise.all([a!.done, b!.done]);
      for (const outcome of outcomes) {
        expect(outcome).toExitWith(0);
        // Each file once, on every node.
        expect(filesRun(outcome.output).sort()).toEqual(fixtureFiles('gated'));
        expect(outcome.output).toContain("this report is the whole run's");
      }
    } finally {
      gates.remove();
    }
  });

  it('against an orchestrator without the extension: says so once and reports the node\'s own files', async () => {
    // The frame proxy passes the WebSocket through and answers any other request with 404, as a server without the endpoints would.
    const proxy = await startFrameProxy(server.url);
    try {
      const [outcome] = await nodes(1, {}, { url: proxy.url });
      expect(outcome).toExitWith(0);
      expect(outcome!.output.match(/cannot report the whole run/g)).toHaveLength(1);
      expect(outcome!.output).toContain(
        "jest-fast-ci: cannot report the whole run (the orchestrator does not offer whole-run reports (an older server, or the hosted service)); reporting this node's own files",
      );
    } finally {
      await proxy.close();
    }
  });
});

describe('blob files and jest-fast-ci merge', () => {
  function merge(args: string[], env: Record<string, string> = {}) {
    const w = writing('merged', env);
    return startChild(process.execPath, [path.join(REPO, 'dist/cli.js'), 'merge', ...args, '--', ...w.args], {
      cwd: COVERAGE,
      env: { PATH: process.env.PATH ?? '', FORCE_COLOR: '0', ...w.env },
    }).done;
  }

  it('replays the nodes\' blob files through the project\'s reporters: the same coverage, JUnit and totals as a plain run, and its exit code', async () => {
    const reference = await plain('plain');
    const blobs = path.join(out, 'blobs');
    const outcomes = await nodes(3, { FAST_CI_REPORT: 'node', FAST_CI_BLOB_DIR: blobs });
    for (const outcome of outcomes) expect(outcome).toExitWith(0);
    expect(fs.readdirSync(blobs)).toHaveLength(3);

    const merged = await merge([blobs], { COVERAGE_LINES: '90' });
    expect(merged).toExitWith(0);
    expect(merged.output).toContain('jest-fast-ci ▸ merged 3 blob files: 6 files, 16 tests: 16 passed');
    expect(outputs('merged').coverage).toEqual(reference.coverage);
    expect(outputs('merged').junitCases).toEqual(reference.junitCases);
    expect(outputs('merged').json).toMatchObject({ numTotalTests: 16, numPassedTests: 16, numTotalTestSuites: 6, success: true });

    const strict = await merge([blobs], { COVERAGE_LINES: '95' });
    expect(strict).toExitWith(1);
    expect(strict.output).toContain(THRESHOLD_MISSED);
  });

  it('reports a file missing from the blobs as failed, never skipped', async () => {
    const blobs = path.join(out, 'blobs');
    await nodes(2, { FAST_CI_REPORT: 'node', FAST_CI_BLOB_DIR: blobs });
    const [first] = fs.readdirSync(blobs);
    const merged = await merge([path.join(blobs, first!)]);
    expect(merged).toExitWith(1);
    expect(merged.output).toMatch(/jest-fast-ci merge: no outcome for test\/\w+\.test\.js in the 1 blob files/);
    expect(merged.output).toMatch(/with no outcome \(reported as failed\)/);
  });
});
