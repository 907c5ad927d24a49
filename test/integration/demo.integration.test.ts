/**
 * `npm run demo` end to end: examples/basic on 2 real jest processes through
 * the embedded server. The table the demo prints must agree with the
 * server's record of the run, which the demo writes with --json. Needs
 * dist/ (npm test builds it first).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanEnv, REPO } from '../helpers/jestNodes';
import { startChild, type ChildOutcome } from '../helpers/processes';

const DEMO = path.join(REPO, 'examples/demo/demo.js');
const BASIC_TESTS = path.join(REPO, 'examples/basic/test');

interface Row {
  node: string;
  files: number;
  tests: number;
  failures: number;
}

interface Recorded {
  entry: { file_status: string; test_count: number; test_counters: { failed: number } };
  nodeIndex: number;
}

function countTestFiles(dir: string): number {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(name => name.endsWith('.test.ts')).length;
}

/** The rows of the printed table: ` node │ files │ tests │ failures │ start-up │ busy │ idle │ wall`; the times only on node rows. */
function printedRows(output: string): Array<Row & { times: string[] }> {
  const rows: Array<Row & { times: string[] }> = [];
  for (const line of output.split('\n')) {
    const m = /^\s+(\d+|\?|all) │\s+(\d+) │\s+(\d+) │\s+(\d+) │\s*(\d+\.\d s)? │\s*(\d+\.\d s)? │\s*(\d+\.\d s)? │\s+\d+\.\d s$/.exec(line);
    if (m) rows.push({ node: m[1]!, files: Number(m[2]), tests: Number(m[3]), failures: Number(m[4]), times: [m[5], m[6], m[7]].filter((t): t is string => t !== undefined) });
  }
  return rows;
}

/** What a node's row must say, counted from the server's results (failures as the demo defines them). */
function expectedRow(results: Recorded[], node: number): Row {
  const mine = results.filter(r => r.nodeIndex === node);
  return {
    node: String(node),
    files: mine.length,
    tests: mine.reduce((n, r) => n + r.entry.test_count, 0),
    failures: mine.reduce((n, r) => n + (r.entry.test_counters.failed || (r.entry.file_status === 'failed' ? 1 : 0)), 0),
  };
}

function runDemo(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ChildOutcome> {
  // Its own process group: the demo's jest nodes die with it if the test ends first.
  return startChild(process.execPath, [DEMO, ...args], { cwd: REPO, env, timeoutMs }).done;
}

describe('npm run demo', () => {
  const json = path.join(os.tmpdir(), `jest-fast-ci-demo-${process.pid}-${Date.now()}.json`);
  afterAll(() => fs.rmSync(json, { force: true }));

  it('spreads examples/basic over 2 nodes and prints a table that matches the server record', async () => {
    const key = `demo-test-key-${randomBytes(16).toString('hex')}`;
    const outcome = await runDemo(['--nodes', '2', '--no-baseline', '--json', json], cleanEnv({ DEMO_SECRET_KEY: key }), 110_000);
    const { output } = outcome;

    expect(output).not.toContain(key);
    expect(outcome).toExitWith(0);
    // The dashboard's address and a view token to sign in with; without a terminal the demo does not wait for Enter.
    expect(output).toMatch(/^dashboard +http:\/\/127\.0\.0\.1:\d+\/ \(open it and sign in with the view token [A-Za-z0-9_-]{24}\)$/m);
    expect(output).not.toContain('Press Enter');

    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    const run = report.run;
    const results: Recorded[] = Object.values(run.results);
    const files = countTestFiles(BASIC_TESTS);
    expect(Object.keys(run.enqueued)).toHaveLength(files);
    expect(Object.keys(run.results).sort()).toEqual(Object.keys(run.enqueued).sort());
    expect(run.state).toBe('finished');
    expect(run.frames).toBeUndefined();

    const rows = printedRows(output);
    const nodes = rows.filter(r => r.node !== 'all');
    const total = rows.find(r => r.node === 'all');
    expect(nodes.map(r => r.node)).toEqual(['0', '1']);
    expect(nodes.reduce((n, r) => n + r.files, 0)).toBe(files);
    for (const { times, ...row } of nodes) {
      expect(row).toEqual(expectedRow(results, Number(row.node)));
      // Each node's own account of its start-up, busy and idle time (its reporter's "time here" line).
      expect(times).toHaveLength(3);
    }
    expect(total).toEqual({
      times: [],
      node: 'all',
      files,
      tests: results.reduce((n, r) => n + r.entry.test_count, 0),
      failures: 0,
    });

    // The JSON rows are the printed ones.
    expect(report.rows.map((r: Row & { node: number }) => ({ ...r, node: String(r.node) }))).toEqual(
      nodes.map(({ times: _times, ...r }) => expect.objectContaining(r)),
    );
    expect(report.problems).toEqual([]);
    expect(output).toContain('Every file ran exactly once and passed.');
    // Every node line is labelled with the index the server gave it.
    expect(output).toMatch(/^node 0 +│ /m);
    expect(output).toMatch(/^node 1 +│ /m);
    expect(output).not.toMatch(/^launch \d/m);
  }, 120_000);
});
