import type { Test } from '@jest/test-result';
import { failedEntry, toFileEntry } from '../../src/protocol/entries';
import { packOutcome, resultFromEntry, unpackOutcome } from '../../src/runner/remoteOutcome';
import { caseResult } from '../helpers/executors';

const test = { path: '/home/b/app/test/x.test.js', duration: undefined, context: {} } as unknown as Test;

it('unpacks what another machine packed as the outcome of this machine\'s copy of the file', () => {
  const packed = packOutcome('test/x.test.js', 2, '/ci/a/app', { ok: true, result: caseResult('/ci/a/app/test/x.test.js', 'failed', 'at /ci/a/app/test/x.test.js:4') });
  const [headerLine, bodyLine] = packed.trimEnd().split('\n');
  const outcome = unpackOutcome(JSON.parse(headerLine!), Buffer.from(bodyLine!), '/home/b/app', test, '/tmp/maps');
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
});

describe('a record is untrusted input', () => {
  const header = { id: 'test/x.test.js', node: 1, root: '/ci/a/app', kind: 'result' as const };
  const unpack = (result: object): unknown => unpackOutcome(header, Buffer.from(JSON.stringify(result)), '/home/b/app', test, '/tmp/maps');
  const withCoverage = (key: string) => ({ ...caseResult('/ci/a/app/test/x.test.js', 'passed'), coverage: { [key]: { path: key, s: {}, statementMap: {} } } });

  it('is refused when a coverage key leaves the rootDir, at any depth, or names an outside file', () => {
    for (const key of ['/ci/a/app/../../../etc/evil.js', '/ci/a/app/src/../../../../../tmp/x.js', '/etc/passwd', 'src/relative.js']) {
      expect(() => unpack(withCoverage(key))).toThrow(expect.objectContaining({ code: 'FASTCI_ERR_RECORD', message: expect.stringContaining('outside this rootDir (/home/b/app)') }));
    }
    // A coverage key inside the project is moved to this checkout and kept.
    const outcome = unpack(withCoverage('/ci/a/app/src/cart.js')) as { ok: true; result: { coverage: Record<string, unknown> } };
    expect(Object.keys(outcome.result.coverage)).toEqual(['/home/b/app/src/cart.js']);
  });

  it('is refused when a V8 script or a source map it names without content is outside the rootDir', () => {
    const v8 = (url: string, sourceMapPath?: string) => ({ ...caseResult('/ci/a/app/test/x.test.js', 'passed'), v8Coverage: [{ result: { url, functions: [] }, codeTransformResult: { code: '', sourceMapPath } }] });
    expect(() => unpack(v8('file:///etc/passwd'))).toThrow(expect.objectContaining({ code: 'FASTCI_ERR_RECORD' }));
    expect(() => unpack(v8('file:///ci/a/app/src/a.js', '/home/someone/.ssh/id_rsa'))).toThrow(expect.objectContaining({ code: 'FASTCI_ERR_RECORD' }));
    expect((unpack(v8('file:///ci/a/app/src/a.js')) as { ok: boolean }).ok).toBe(true);
  });

  it('is refused, naming the node and the file, when it is not JSON of an outcome', () => {
    expect(() => unpackOutcome(header, Buffer.from('{"testResults": ['), '/home/b/app', test, '/tmp/maps')).toThrow(
      expect.objectContaining({ code: 'FASTCI_ERR_RECORD', message: expect.stringMatching(/^node 1's outcome of "test\/x\.test\.js" cannot be used: it is not JSON/) }),
    );
    expect(() => unpackOutcome(header, Buffer.from('[1,2]'), '/home/b/app', test, '/tmp/maps')).toThrow(expect.objectContaining({ code: 'FASTCI_ERR_RECORD' }));
  });
});
