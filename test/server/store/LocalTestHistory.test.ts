/**
 * The test history at a suite's size, with a data dir: what it keeps on disk
 * per outcome (counted bytes), and that a server started again reads it back,
 * giving only the tests that failed (the only ones that can be flaky).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalTestHistory } from '../../../src/server/store/LocalTestHistory';
import { testKey, type TestOutcome } from '../../../src/server/store/testHistory';

const TESTS = 2_000;
const RUNS = 30;
const identity = { keyHash: 'k', runKey: 'jest', buildId: 'unused' };

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-test-history-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function runOf(r: number, at: number): Array<[string, TestOutcome]> {
  const out: Array<[string, TestOutcome]> = [];
  for (let t = 0; t < TESTS; t += 1) {
    // Test 7 fails every third run; the rest pass.
    const status = t === 7 && r % 3 === 0 ? 'failed' : 'passed';
    out.push([testKey(`test/file-${t >> 4}.test.ts`, `cart totals case ${t}`), { status, buildId: `12345678${r}-1`, commit: `${r}`.padStart(40, 'a'), branch: 'main', at, node: `node ${t % 8}`, attempt: 1, seconds: 0.012 }]);
  }
  return out;
}

it(`keeps ${RUNS} runs of ${TESTS} tests in a few bytes an outcome, and reads back only the tests that failed`, async () => {
  const day = 86_400_000;
  const start = 100 * day;
  const history = new LocalTestHistory({ runs: RUNS, days: 30 }, dir);
  for (let r = 0; r < RUNS + 5; r += 1) await history.record(identity, runOf(r, start + r * 60_000), start + r * 60_000);
  const files = fs.readdirSync(path.join(dir, 'tests'), { recursive: true }).map(String).filter(f => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  const bytes = fs.statSync(path.join(dir, 'tests', files[0]!)).size;
  // The window: the last 30 of each test's 35 outcomes. Each outcome's run is kept once, in the table of runs.
  const outcomes = TESTS * RUNS;
  expect(bytes / outcomes).toBeLessThan(20);

  const again = new LocalTestHistory({ runs: RUNS, days: 30 }, dir);
  const failing = await again.withFailures(identity, start + RUNS * 60_000);
  expect([...failing.keys()]).toEqual([testKey('test/file-0.test.ts', 'cart totals case 7')]);
  const list = failing.get(testKey('test/file-0.test.ts', 'cart totals case 7'))!;
  expect(list).toHaveLength(RUNS);
  expect(list.filter(o => o.status === 'failed').map(o => o.buildId)).toEqual(['123456786-1', '123456789-1', '1234567812-1', '1234567815-1', '1234567818-1', '1234567821-1', '1234567824-1', '1234567827-1', '1234567830-1', '1234567833-1']);
  expect(list[0]).toMatchObject({ node: 'node 7', commit: '5'.padStart(40, 'a'), branch: 'main', attempt: 1, seconds: 0.012 });

  // Past the window of days, nothing is given back; a test gone from the suite leaves with its last run.
  expect((await again.withFailures(identity, start + 31 * day + RUNS * 60_000)).size).toBe(0);
  await again.record(identity, [[testKey('test/new.test.ts', 'fresh'), { status: 'failed', buildId: 'later', commit: null, branch: null, at: start + 40 * day, node: 'node 0', attempt: 1, seconds: 1 }]], start + 40 * day);
  const saved = JSON.parse(fs.readFileSync(path.join(dir, 'tests', files[0]!), 'utf8')) as { runs: object; tests: object };
  expect(Object.keys(saved.tests)).toEqual([testKey('test/new.test.ts', 'fresh')]);
  expect(Object.keys(saved.runs)).toHaveLength(1);
});
