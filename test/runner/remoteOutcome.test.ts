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
