import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Test } from '@jest/test-result';
import type { FastCiConfig } from '../../src/config';
import { fallbackPlan } from '../../src/runner/fallbackPlan';
import { TestIds } from '../../src/runner/TestIds';

let dir: string;
let tests: Test[];
let ids: TestIds;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fallback-plan-'));
  tests = [1, 2, 3, 4].map(n => {
    const file = path.join(dir, `f${n}.test.js`);
    fs.writeFileSync(file, 'x'.repeat(n * 100));
    return { path: file, context: { config: { id: 'p', rootDir: dir } } } as unknown as Test;
  });
  ids = new TestIds(tests, dir);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const config = (fields: Partial<FastCiConfig>): FastCiConfig => ({ timingsFile: undefined, ...fields }) as FastCiConfig;
const never = (): boolean => false;

it('without a shard index and count: every file, less those already run here', () => {
  const plan = fallbackPlan(config({}), tests, ids, id => id === 'f2.test.js', dir);
  expect(plan.share.map(t => ids.id(t))).toEqual(['f1.test.js', 'f3.test.js', 'f4.test.js']);
  expect(plan.what).toBe('no shard index and count are known (FAST_CI_NODE_INDEX / FAST_CI_NODE_TOTAL), so running all 4 files here, less 1 already run here');
});

it('with a shard index and count: shares that cover every file once, split by size without a timings file', () => {
  const shares = [0, 1].map(nodeIndex => fallbackPlan(config({ nodeIndex, nodeTotal: 2 }), tests, ids, never, dir));
  expect(shares.flatMap(s => s.share.map(t => ids.id(t))).sort()).toEqual(['f1.test.js', 'f2.test.js', 'f3.test.js', 'f4.test.js']);
  expect(shares[0]!.what).toBe(`running shard 1 of 2: ${shares[0]!.share.length} of 4 files, split by file size`);
});

it('says why a timings file is not used, naming it relative to rootDir', () => {
  const timingsFile = path.join(dir, 'timings.json');
  expect(fallbackPlan(config({ nodeIndex: 0, nodeTotal: 2, timingsFile }), tests, ids, never, dir).what).toMatch(/split by file size$/);
  fs.writeFileSync(timingsFile, 'not json');
  expect(fallbackPlan(config({ nodeIndex: 0, nodeTotal: 2, timingsFile }), tests, ids, never, dir).what).toMatch(/split by file size \(timings\.json is ignored: .+\)$/);
});
