/**
 * A file's history over runs, on each store (memory, and Redis in the redis
 * project): each finished run's outcome of the file with its build id and
 * commit, read through the dashboard's API as the page reads it, and since
 * when the file fails.
 */
import type { FileEntry } from '../../src/protocol/types';
import { cleanup, KEY, Node, passed, pendingTests, startTestServer } from './helpers';

afterEach(cleanup);

interface HistoryView {
  runs: Array<{ status: string; buildId: string; commit: string | null }>;
  failingSince: { buildId: string } | null;
  durations: number[];
}

/** The page's view of file-0's history, from run `buildId`'s page. */
async function history(dashboard: string, buildId: string): Promise<HistoryView> {
  const res = await fetch(`${dashboard}api/runs/jest/${buildId}/files/file-0.test.ts`, { headers: { authorization: `Bearer ${KEY}` }, signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  return (await res.json()) as HistoryView;
}

const failed: FileEntry = { ...passed(0.5), file_status: 'failed', test_counters: { passed: 0, failed: 1, pending: 0 }, '1': { status: 'failed', run_time: 0.5, description: 'works', failure_message: 'boom' } };

it("keeps each finished run's outcome of a file, and says since when it fails, on every store", async () => {
  const server = await startTestServer();
  const outcomes = [failed, passed(0.5), failed, failed];
  for (const [i, entry] of outcomes.entries()) {
    const { node } = await Node.join(server, { buildId: `h${i + 1}`, workers: 1, params: { commit: `c${i + 1}` } });
    expect((await node.push('enq', { tests: pendingTests(1) })).status).toBe('ok');
    const batch = await node.deq();
    expect((await node.deq({ [batch.response.tests[0] as string]: entry })).response.summary).toMatchObject({ files: 1 });
    // The history is written as the run finishes, without holding its reply: wait until it has the run (bounded).
    for (const deadline = Date.now() + 5_000; (await history(server.dashboardUrl!, `h${i + 1}`)).runs.length < i + 1; ) {
      if (Date.now() > deadline) throw new Error(`run h${i + 1} never reached the history`);
      await new Promise(resolve => setTimeout(resolve, 20));
    }
  }
  const view = await history(server.dashboardUrl!, 'h4');
  expect(view.runs.map(r => [r.status, r.buildId, r.commit])).toEqual([
    ['failed', 'h1', 'c1'],
    ['passed', 'h2', 'c2'],
    ['failed', 'h3', 'c3'],
    ['failed', 'h4', 'c4'],
  ]);
  expect(view.failingSince).toMatchObject({ buildId: 'h3' });
  expect(view.durations).toHaveLength(4);
});
