import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CACHE_RECORD_FILE, MAX_RECORDED_FILES, NodeCacheRecords, parseCacheRecord, withRun } from '../../src/runner/cacheRecord';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-record-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the cache record', () => {
  it('names what is wrong with a record it cannot use', () => {
    expect(parseCacheRecord('{')).toEqual({ ok: false, reason: expect.stringContaining('not JSON') });
    expect(parseCacheRecord('{"version": 2, "files": {}}')).toEqual({ ok: false, reason: expect.stringContaining('"version": 1') });
    expect(parseCacheRecord('{"version": 1, "files": {"a.test.js": 5, "b.test.js": "x"}}')).toEqual({ ok: true, record: new Map([['a.test.js', 5]]) });
  });

  it('keeps the most recently run files when it outgrows its cap', () => {
    const old = new Map(Array.from({ length: MAX_RECORDED_FILES }, (_, i) => [`old-${i}`, i] as [string, number]));
    const next = withRun(old, ['new.test.js'], MAX_RECORDED_FILES + 1);
    expect(next.size).toBe(MAX_RECORDED_FILES);
    expect(next.has('new.test.js')).toBe(true);
    expect(next.has('old-0')).toBe(false);
  });

  it('reads back what a node saved, per cacheDirectory, and nothing for a project with the cache off', () => {
    const one = path.join(dir, 'one');
    const two = path.join(dir, 'two');
    const files = [['a.test.js', one], ['b.test.js', one], ['c.test.js', two], ['d.test.js', undefined]] as const;
    const first = new NodeCacheRecords(files);
    expect(first.warm).toEqual([]);
    expect(first.files.sort()).toEqual([path.join(one, CACHE_RECORD_FILE), path.join(two, CACHE_RECORD_FILE)]);
    expect(first.save(new Set(['a.test.js', 'c.test.js', 'd.test.js']), 1)).toEqual([]);
    expect([...new NodeCacheRecords(files).warm].sort()).toEqual(['a.test.js', 'c.test.js']);
  });

  it('says it ignored a broken record, and replaces it at the end', () => {
    const cache = path.join(dir, 'cache');
    fs.mkdirSync(cache);
    fs.writeFileSync(path.join(cache, CACHE_RECORD_FILE), 'not json');
    const records = new NodeCacheRecords([['a.test.js', cache]]);
    expect(records.problems).toEqual([expect.stringMatching(/^ignored .*jest-fast-ci-warm\.json: it is not JSON/)]);
    records.save(new Set(['a.test.js']), 1);
    expect(new NodeCacheRecords([['a.test.js', cache]]).warm).toEqual(['a.test.js']);
  });
});
