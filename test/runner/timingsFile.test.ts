/**
 * The timings file on disk and in git: the split reads the committed
 * version, whatever the work tree holds; the node writes the work tree's.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { timingsDigest } from '../../src/runner/timingsFormat';
import { readCommittedTimings, recordTimings } from '../../src/runner/timingsFile';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fast-ci-timings-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function git(...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, stdio: 'ignore' });
}

const timings = (files: Record<string, number>) => `${JSON.stringify({ version: 1, files })}\n`;

describe('readCommittedTimings', () => {
  it('outside git, reads the file as it is, or says it is absent', () => {
    const file = path.join(dir, '.jest-fast-ci-timings.json');
    expect(readCommittedTimings(file)).toEqual({ state: 'absent', file });
    fs.writeFileSync(file, timings({ 'test/a.test.js': 40 }));
    expect(readCommittedTimings(file)).toMatchObject({ state: 'read', from: 'disk', durations: new Map([['test/a.test.js', 40]]) });
  });

  it('in a git checkout, reads the version at HEAD, not the work tree\'s copy a node may have rewritten', () => {
    const file = path.join(dir, 'sub', '.jest-fast-ci-timings.json');
    fs.mkdirSync(path.dirname(file));
    git('init', '-q');
    fs.writeFileSync(file, timings({ 'test/a.test.js': 40 }));
    expect(readCommittedTimings(file)).toEqual({ state: 'uncommitted', file });
    git('add', '.');
    git('commit', '-q', '-m', 'timings');
    fs.writeFileSync(file, timings({ 'test/a.test.js': 99999 }));
    expect(readCommittedTimings(file)).toMatchObject({
      state: 'read',
      from: 'HEAD',
      durations: new Map([['test/a.test.js', 40]]),
      digest: timingsDigest(timings({ 'test/a.test.js': 40 })),
    });
  });

  it('says why it ignores a committed file that does not parse', () => {
    const file = path.join(dir, 'timings.json');
    git('init', '-q');
    fs.writeFileSync(file, '{"version":1,"files":{"x":"slow"}}');
    git('add', '.');
    git('commit', '-q', '-m', 'bad');
    expect(readCommittedTimings(file)).toEqual({ state: 'invalid', file, reason: 'the duration of "x" is "slow", not a number of milliseconds' });
  });
});

describe('recordTimings', () => {
  it('lays the measured durations over the work tree\'s copy', () => {
    const file = path.join(dir, 'deep', 'timings.json');
    expect(recordTimings(file, new Map([['test/a.test.js', 10.4]]))).toEqual({ ok: true, files: 1 });
    expect(recordTimings(file, new Map([['test/b.test.js', 20]]))).toEqual({ ok: true, files: 2 });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ version: 1, files: { 'test/a.test.js': 10, 'test/b.test.js': 20 } });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['timings.json']);
  });

  it('leaves a copy that does not parse as it is (it may be a merge conflict being resolved)', () => {
    const file = path.join(dir, 'timings.json');
    fs.writeFileSync(file, '<<<<<<< HEAD\n');
    const outcome = recordTimings(file, new Map([['test/a.test.js', 10]]));
    expect(outcome).toEqual({ ok: false, reason: expect.stringMatching(/^the file is left as it is, because it is not JSON/) });
    expect(fs.readFileSync(file, 'utf8')).toBe('<<<<<<< HEAD\n');
  });
});
