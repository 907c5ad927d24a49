import type { Test } from '@jest/test-result';
import { failedEntry, toFileEntry } from '../../src/protocol/entries';
import { NodeCoverage } from '../../src/runner/NodeCoverage';
import { packCoverage, packOutcome, resultFromEntry, unpackCoverage, unpackOutcome } from '../../src/runner/remoteOutcome';
import { caseResult } from '../helpers/executors';
import { applyQuarantine } from '../../src/runner/quarantine';

const test = { path: '/home/b/app/test/x.test.js', duration: undefined, context: {} } as unknown as Test;

it('unpacks what another machine packed as the outcome of this machine\'s copy of the file', () => {
  const packed = packOutcome('test/x.test.js', 2, '/ci/a/app', { ok: true, result: caseResult('/ci/a/app/test/x.test.js', 'failed', 'at /ci/a/app/test/x.test.js:4') });
  const [headerLine, bodyLine] = packed.trimEnd().split('\n');
  const outcome = unpackOutcome(JSON.parse(headerLine!), Buffer.from(bodyLine!), '/home/b/app', test);
  expect(outcome.ok).toBe(true);
  if (!outcome.ok) return;
  expect(outcome.result.testFilePath).toBe('/home/b/app/test/x.test.js');
  expect(outcome.result.testResults[0]!.failureMessages).toEqual(['at /home/b/app/test/x.test.js:4']);
});

it('builds a Jest result from the orchestrator\'s entry when the node that ran the file sent none', () => {
  const entry = toFileEntry(caseResult('/x', 'failed', 'boom'));
  const result = resultFromEntry(entry, '/home/b/app/test/x.test.js');
  expect(result).toMatchObject({ testFilePath: '/home/b/app/test/x.test.js', numFailingTests: 1, numPassingTests: 0, failureMessage: 'boom' });
  expect(result.testResults).toEqual([expect.objectContaining({ status: 'failed', fullName: 'it works', failureMessages: ['boom'] })]);
  // A file that could not run at all: one failed case carries the message.
  expect(resultFromEntry(failedEntry('it crashed'), '/p').testResults).toEqual([expect.objectContaining({ status: 'failed', failureMessages: ['it crashed'] })]);
  // It failed as a whole: the quarantine must never mask a test of it, rebuilt or not.
  const whole = resultFromEntry({ ...entry, failure_message: 'afterAll: db down' }, '/p');
  expect(whole.testExecError).toMatchObject({ message: 'afterAll: db down' });
  expect(applyQuarantine(whole, new Set(['it works']), 'on')).toEqual([]);
  expect(whole.numFailingTests).toBe(1);
});

it('a file\'s record carries no coverage: the node\'s coverage travels once, in its own record', () => {
  const file = { path: '/ci/a/app/src/a.js', statementMap: { 0: { start: { line: 1, column: 0 }, end: { line: 1, column: 9 } } }, fnMap: {}, branchMap: {}, s: { 0: 1 }, f: {}, b: {} };
  const result = { ...caseResult('/ci/a/app/test/x.test.js', 'passed'), coverage: { [file.path]: file } };
  const packed = packOutcome('test/x.test.js', 0, '/ci/a/app', { ok: true, result });
  expect(packed).not.toContain('src/a.js');
  // The result handed to this node's own Jest keeps it.
  expect(result.coverage).toBeDefined();
  const coverage = new NodeCoverage();
  coverage.add(result);
  const [headerLine, bodyLine] = packCoverage(0, '/ci/a/app', coverage).trimEnd().split('\n');
  expect(JSON.parse(headerLine!)).toEqual({ id: '\u0000coverage', node: 0, root: '/ci/a/app', kind: 'coverage' });
  expect(unpackCoverage(JSON.parse(headerLine!), Buffer.from(bodyLine!), '/home/b/app', '/tmp/maps')).toEqual({
    babel: { '/home/b/app/src/a.js': { ...file, path: '/home/b/app/src/a.js' } },
  });
});

describe('a record is untrusted input', () => {
  const header = { id: 'test/x.test.js', node: 1, root: '/ci/a/app', kind: 'result' as const };
  const coverageHeader = { id: '\u0000coverage', node: 1, root: '/ci/a/app', kind: 'coverage' as const };
  const unpack = (body: object): unknown => unpackCoverage(coverageHeader, Buffer.from(JSON.stringify(body)), '/home/b/app', '/tmp/maps');
  const babel = (key: string) => ({ babel: { [key]: { path: key, s: {}, statementMap: {} } } });

  it('coverage is refused when a key leaves the rootDir, at any depth, or names an outside file', () => {
    for (const key of ['/ci/a/app/../../../etc/evil.js', '/ci/a/app/src/../../../../../tmp/x.js', '/etc/passwd', 'src/relative.js']) {
      expect(() => unpack(babel(key))).toThrow(expect.objectContaining({ code: 'FASTCI_ERR_RECORD', message: expect.stringContaining('outside this rootDir (/home/b/app)') }));
    }
    expect(() => unpack({ babel: { '/ci/a/app/src/a.js': { path: '/etc/passwd' } } })).toThrow(expect.objectContaining({ code: 'FASTCI_ERR_RECORD' }));
    // A key inside the project is moved to this checkout and kept.
    expect(Object.keys((unpack(babel('/ci/a/app/src/cart.js')) as { babel: object }).babel)).toEqual(['/home/b/app/src/cart.js']);
  });

  it('coverage is refused when a V8 script (a path, as Jest gives it, or a URL) or a source map it names without content is outside the rootDir', () => {
    const v8 = (url: string, sourceMapPath?: string) => ({ v8: [{ result: { url, functions: [] }, codeTransformResult: { code: '', originalCode: '', sourceMapPath } }] });
    for (const url of ['/etc/passwd', 'file:///etc/passwd', '/ci/a/app/../../etc/passwd']) {
      expect(() => unpack(v8(url))).toThrow(expect.objectContaining({ code: 'FASTCI_ERR_RECORD', message: expect.stringContaining("node 1's coverage cannot be used") }));
    }
    expect(() => unpack(v8('/ci/a/app/src/a.js', '/home/someone/.ssh/id_rsa'))).toThrow(expect.objectContaining({ code: 'FASTCI_ERR_RECORD' }));
    expect(unpack(v8('/ci/a/app/src/a.js'))).toEqual({ v8: [expect.objectContaining({ result: { url: '/home/b/app/src/a.js', functions: [] } })] });
    // Node's own scripts are dropped, not refused.
    expect(unpack({ v8: [{ result: { url: 'node:internal/x', functions: [] } }] })).toEqual({ v8: [] });
  });

  it('coverage in a file\'s record is dropped, never used: a record cannot slip paths past the checks', () => {
    const result = { ...caseResult('/ci/a/app/test/x.test.js', 'passed'), coverage: { '/etc/passwd': {} }, v8Coverage: [{ result: { url: '/etc/passwd' } }] };
    const outcome = unpackOutcome(header, Buffer.from(JSON.stringify(result)), '/home/b/app', test) as { ok: true; result: object };
    expect(outcome.result).not.toHaveProperty('coverage');
    expect(outcome.result).not.toHaveProperty('v8Coverage');
  });

  it('is refused, naming the node and the file, when it is not JSON of an outcome', () => {
    expect(() => unpackOutcome(header, Buffer.from('{"testResults": ['), '/home/b/app', test)).toThrow(
      expect.objectContaining({ code: 'FASTCI_ERR_RECORD', message: expect.stringMatching(/^node 1's outcome of "test\/x\.test\.js" cannot be used: it is not JSON/) }),
    );
    expect(() => unpackOutcome(header, Buffer.from('[1,2]'), '/home/b/app', test)).toThrow(expect.objectContaining({ code: 'FASTCI_ERR_RECORD' }));
    expect(() => unpackCoverage(coverageHeader, Buffer.from('{"babel": [1]}'), '/home/b/app', '/tmp/maps')).toThrow(expect.objectContaining({ code: 'FASTCI_ERR_RECORD' }));
  });
});
