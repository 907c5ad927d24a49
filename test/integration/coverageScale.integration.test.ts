/**
 * Whole-run reporting at a user's scale: a generated project of 120 source
 * modules, each test file loading 20 to 60 of them, coverage on (the json,
 * json-summary, lcovonly and text-summary reporters). Each node
 * merges its coverage and sends it once, so its bytes stay within 1.5x the
 * whole project's coverage-final.json plus 2 KB a test (counted on the wire
 * by a proxy), and the reporting node's coverage, JUnit and `--json` equal
 * a plain single run's; a threshold the run meets and no node alone does
 * passes, one it misses fails. The nodes' blob files merge to the same
 * report, with Jest's arguments given with or without `--`.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCoverageMap, type CoverageMapData } from 'istanbul-lib-coverage';
import { startServer, type OrchestratorServer } from '../../src/server';
import { startFrameProxy, type FrameProxy } from '../helpers/frameProxy';
import { REPO, runJestNode, type NodeOutcome } from '../helpers/jestNodes';
import { startChild } from '../helpers/processes';
import { readOutputs, writingTo, type ReportOutputs } from '../helpers/reportOutputs';
import { readBlob, blobFiles } from '../../src/runner/blobs';
import { COVERAGE_ID } from '../../src/protocol/reports';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeCoverageProject } = require('../../examples/benchmark/coverage-project.js') as {
  writeCoverageProject(dir: string, options: object): { tests: number; files: number };
};

const KEY = 'coverage-scale-secret-2c9e';
const NODES = 3;
const root = path.join(REPO, '.tmp', `coverage-scale-${process.pid}`);
const out = path.join(root, 'out');
const project = path.join(root, 'project');
let shape: { tests: number; files: number };
let server: OrchestratorServer;
let proxy: FrameProxy;

beforeAll(async () => {
  shape = writeCoverageProject(project, { modules: 120, files: 24, minImports: 20, maxImports: 60, testsPerFile: 2, seed: 11 });
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
  proxy = await startFrameProxy(server.url, { reports: 'forward' });
});

afterAll(async () => {
  await proxy.close();
  await server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Outputs extends ReportOutputs {
  readonly coverage: CoverageMapData;
  readonly coverageBytes: number;
  /** What the json-summary and lcovonly coverage reporters wrote. */
  readonly summary: unknown;
  readonly lcov: string;
}

function outputs(name: string): Outputs {
  const dir = path.join(out, name);
  return {
    ...readOutputs(dir),
    coverage: JSON.parse(fs.readFileSync(path.join(dir, 'coverage', 'coverage-final.json'), 'utf8')),
    coverageBytes: fs.statSync(path.join(dir, 'coverage', 'coverage-final.json')).size,
    summary: JSON.parse(fs.readFileSync(path.join(dir, 'coverage', 'coverage-summary.json'), 'utf8')),
    lcov: fs.readFileSync(path.join(dir, 'coverage', 'lcov.info'), 'utf8'),
  };
}

const writing = (name: string, env: Record<string, string> = {}) => writingTo(path.join(out, name), env);

const linesPct = (coverage: CoverageMapData): number => createCoverageMap(coverage).getCoverageSummary().lines.pct;

async function plain(name: string, env: Record<string, string> = {}): Promise<Outputs> {
  const w = writing(name, env);
  expect(await runJestNode({ cwd: project, env: w.env, args: w.args })).toExitWith(0);
  return outputs(name);
}

function nodes(prefix: string, env: Record<string, string>): Promise<NodeOutcome[]> {
  const buildId = randomUUID();
  return Promise.all(
    Array.from({ length: NODES }, (_, i) => {
      const w = writing(`${prefix}${i}`, { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: proxy.url, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: `${prefix}${i}`, ...env });
      return runJestNode({ cwd: project, env: w.env, args: w.args });
    }),
  );
}

describe('whole-run reporting on a project of 120 source modules, coverage on', () => {
  it('babel: each node sends its coverage once; every node reports the coverage, JUnit and totals of a plain run; a threshold only the run meets passes', async () => {
    const reference = await plain('plain');
    const runPct = linesPct(reference.coverage);
    // Met by the run, as a team sets it; each node's own share is checked below to fall short of it.
    const threshold = Math.floor(runPct - 1);
    const blobs = path.join(out, 'blobs');
    const outcomes = await nodes('babel', { COVERAGE_LINES: String(threshold), FAST_CI_BLOB_DIR: blobs });
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome).toExitWith(0);
      const node = outputs(`babel${i}`);
      expect(node.coverage).toEqual(reference.coverage);
      expect(node.summary).toEqual(reference.summary);
      expect(node.lcov).toBe(reference.lcov);
      expect(node.junitCases).toEqual(reference.junitCases);
      expect(node.junitCases).toHaveLength(shape.tests);
      expect(node.json).toMatchObject({ numTotalTests: shape.tests, numPassedTests: shape.tests, numTotalTestSuites: shape.files, success: true });
      // Counted on the wire: what a node sends is its results and one merged map, not a map per file.
      const sent = proxy.reportBytes.get(`babel${i}`)!.up;
      expect(sent).toBeGreaterThan(0);
      expect(sent).toBeLessThanOrEqual(1.5 * reference.coverageBytes + 2048 * shape.tests);
    }
    // No node alone meets the threshold: its blob holds its own coverage.
    const files = blobFiles([blobs]);
    expect(files).toHaveLength(NODES);
    for (const file of files) {
      const record = (await readBlob(file)).records.find(r => r.header.id === COVERAGE_ID)!;
      const own = (JSON.parse(record.body.toString('utf8')) as { babel: CoverageMapData }).babel;
      expect(linesPct(own)).toBeLessThan(threshold);
    }

    // The blob files merge to the same report, Jest's arguments given with `--` or without; a threshold the run misses fails with Jest's message.
    const merge = (name: string, separator: readonly string[], lines: number) => {
      const w = writing(name, { COVERAGE_LINES: String(lines) });
      return startChild(process.execPath, [path.join(REPO, 'dist/cli.js'), 'merge', blobs, ...separator, ...w.args], {
        cwd: project,
        env: { PATH: process.env.PATH ?? '', FORCE_COLOR: '0', ...w.env },
      }).done;
    };
    for (const [name, separator] of [['mergedDashes', ['--']], ['mergedPlain', []]] as const) {
      expect(await merge(name, separator, threshold)).toExitWith(0);
      expect(outputs(name).coverage).toEqual(reference.coverage);
      expect(outputs(name).junitCases).toEqual(reference.junitCases);
    }
    const strict = await merge('mergedStrict', [], 99);
    expect(strict).toExitWith(1);
    expect(strict.output).toMatch(/Jest: Coverage for lines \(\d+(\.\d+)?%\) does not meet "global" threshold \(99%\)/);
  });

  it('v8: every node reports the coverage of a plain run', async () => {
    const reference = await plain('v8plain', { COVERAGE_PROVIDER: 'v8' });
    const outcomes = await nodes('v8node', { COVERAGE_PROVIDER: 'v8' });
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome).toExitWith(0);
      const node = outputs(`v8node${i}`);
      expect(node.coverage).toEqual(reference.coverage);
      expect(node.summary).toEqual(reference.summary);
      expect(node.json).toMatchObject({ numTotalTests: shape.tests, success: true });
      expect(proxy.reportBytes.get(`v8node${i}`)!.up).toBeLessThanOrEqual(1.5 * reference.coverageBytes + 2048 * shape.tests);
    }
  });
});
