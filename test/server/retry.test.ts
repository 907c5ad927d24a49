/**
 * Retry of failed files (the enq's `retry`): a failure with a retry left is
 * not recorded; the file runs again on another node; a pass there makes it
 * flaky in the summary; the failing node is told its failure is not final.
 */
import type { FileEntry } from '../../src/protocol/types';
import { cleanup, Node, passed, pendingTests, resultsFor, startTestServer } from './helpers';

afterEach(cleanup);

function failed(): FileEntry {
  return { ...passed(), file_status: 'failed', test_counters: { failed: 1, passed: 0, pending: 0 }, '1': { status: 'failed', run_time: 0.01 } };
}

async function twoNodes(retry: number) {
  const server = await startTestServer();
  const a = (await Node.join(server, { nodeId: 'a', workers: 1 })).node;
  const b = (await Node.join(server, { nodeId: 'b', workers: 1 })).node;
  expect((await a.push('enq', { tests: pendingTests(2), retry })).status).toBe('ok');
  return { server, a, b };
}

/** a and b each take a file; b reports its own and waits; a reports its file failed. */
async function failOnA(retry: number) {
  const { server, a, b } = await twoNodes(retry);
  const [fileA] = (await a.deq()).response.tests;
  const [fileB] = (await b.deq()).response.tests;
  const bWaits = b.deq(resultsFor([fileB]));
  const aReply = a.deq({ [fileA]: failed() });
  return { server, a, b, fileA: fileA as string, bWaits, aReply };
}

it('runs a failed file again on another node and reports it flaky when it passes there', async () => {
  const { server, b, fileA, bWaits, aReply } = await failOnA(1);
  // The file goes to b, not back to a.
  expect((await bWaits).response.tests).toEqual([fileA]);
  expect(server.run('build-1')!.retries).toEqual({ [fileA]: [0] });
  const done = await b.deq(resultsFor([fileA]));
  expect(done.response.summary).toMatchObject({ files: 2, passed: 2, failed: 0, flaky: [fileA] });
  // a's deq was held until the end; its answer says the failure was not final.
  expect((await aReply).response).toEqual({ event: 'deq', tests: [], summary: done.response.summary, retry: [fileA] });
  expect(server.run('build-1')!.results[fileA]!.nodeIndex).toBe(1);
});

it('records the failure once the retries are used up, and the last failing node is told it is final', async () => {
  const { server, b, fileA, bWaits, aReply } = await failOnA(1);
  expect((await bWaits).response.tests).toEqual([fileA]);
  const last = await b.deq({ [fileA]: failed() });
  expect(last.response.retry).toBeUndefined();
  expect(last.response.summary).toMatchObject({ failed: 1, passed: 1 });
  expect(last.response.summary.flaky).toBeUndefined();
  expect((await aReply).response.retry).toEqual([fileA]);
  expect(server.run('build-1')!.results[fileA]!.entry.file_status).toBe('failed');
});

it('retries on the same node when no other node is left to take the file', async () => {
  const server = await startTestServer();
  const { node } = await Node.join(server, { nodeId: 'solo' });
  await node.push('enq', { tests: pendingTests(1), retry: 2 });
  const [file] = (await node.deq()).response.tests;
  const again = await node.deq({ [file]: failed() });
  expect(again.response).toEqual({ event: 'deq', tests: [file], retry: [file] });
  const done = await node.deq(resultsFor([file]));
  expect(done.response.summary).toMatchObject({ passed: 1, flaky: [file] });
});

it('hands a file waiting for another node to the failing node once the others are gone', async () => {
  const { a, b } = await twoNodes(1);
  const [fileA] = (await a.deq()).response.tests;
  await b.deq(); // b is busy with the other file
  // a's failure waits for b, the only other node; a holds nothing, so its deq is held.
  const aReply = a.deq({ [fileA]: failed() });
  await b.close();
  // With b gone, a retries the file itself.
  expect((await aReply).response).toEqual({ event: 'deq', tests: [fileA], retry: [fileA] });
});

it('still says "retry" when a node sends the same failure again after losing the reply', async () => {
  const { a, b, fileA, bWaits, aReply } = await failOnA(1);
  expect((await bWaits).response.tests).toEqual([fileA]);
  // a sends its failure again, as after a reconnect that lost the reply: still not final.
  const resent = a.deq({ [fileA]: failed() });
  const done = await b.deq(resultsFor([fileA]));
  expect(done.response.summary).toMatchObject({ passed: 2, failed: 0, flaky: [fileA] });
  expect((await resent).response.retry).toEqual([fileA]);
  expect((await aReply).response.retry).toEqual([fileA]);
});

it('rejects a retry count out of range', async () => {
  const server = await startTestServer();
  const { node } = await Node.join(server);
  const reply = await node.push('enq', { tests: pendingTests(1), retry: 99 });
  expect(reply).toEqual({ status: 'error', response: { event: 'error', reason: 'enq retry must be an integer from 0 to 5' } });
});
