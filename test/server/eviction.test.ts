/**
 * Eviction of finished and abandoned runs. The registry is swept at chosen
 * instants (no waiting on a short TTL); one server-level test checks that the
 * server's own sweeper does it too.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pendingEntry } from '../../src/protocol/entries';
import { DataDirStore } from '../../src/server/data-dir-store';
import { KeyRing } from '../../src/server/key-ring';
import type { NodeLink } from '../../src/server/node-table';
import type { Reply, Run } from '../../src/server/run';
import { RunRegistry } from '../../src/server/run-registry';
import { cleanup, Node, passed, pendingTests, startTestServer, until } from './helpers';

const TTL = 60_000;
const keys = new KeyRing(['evict-key'], Buffer.alloc(32, 7));
const keyHash = keys.match('evict-key')!.hash;
const link: NodeLink = { push: () => undefined, supersede: () => undefined };
const registries: RunRegistry[] = [];

function registry(store?: DataDirStore): RunRegistry {
  const r = new RunRegistry(
    {
      maxRunsPerKey: 10,
      finishedRunTtlMs: TTL,
      maxFinishedRuns: 100,
      run: { leaseTimeoutMs: 60_000, reconnectGraceMs: 60_000, maxFilesPerRun: 10, maxNodesPerRun: 10, maxCrashesPerFile: 2, recordFrames: false },
      store,
    },
    keys,
  );
  registries.push(r);
  return r;
}

function open(r: RunRegistry, buildId: string): Run {
  const opened = r.open({ keyHash, runKey: 'jest', buildId }, {});
  if (!opened.ok) throw new Error(opened.reason);
  return opened.run;
}

/** One node runs the run's one file to the end. */
function finish(run: Run): void {
  const { member } = run.join({ node_id: 'n' }, link);
  run.enq(member, { tests: { 'a.test.ts': pendingEntry() } });
  let batch: Reply | undefined;
  run.deq(member, {}, reply => (batch = reply));
  const [id] = (batch!.response as { tests: string[] }).tests;
  run.deq(member, { [id!]: passed() }, () => undefined);
  expect(run.isFinished).toBe(true);
}

afterEach(async () => {
  for (const r of registries.splice(0)) r.close();
  await cleanup();
});

it('evicts a finished run once finishedRunTtlMs has passed since it finished, not before', () => {
  const r = registry();
  const run = open(r, 'done');
  finish(run);
  r.sweep(run.finishedAt! + TTL - 1);
  expect(r.snapshotOf('done', 'jest')?.state).toBe('finished');
  r.sweep(run.finishedAt! + TTL + 1);
  expect(r.snapshotOf('done', 'jest')).toBeUndefined();
});

it('evicts an unfinished run once nobody has been connected to it for finishedRunTtlMs', () => {
  const r = registry();
  const run = open(r, 'abandoned');
  const { member } = run.join({ node_id: 'n' }, link);
  run.enq(member, { tests: { 'a.test.ts': pendingEntry(), 'b.test.ts': pendingEntry() } });
  run.detach(member);
  const idleSince = run.idleSince!;
  r.sweep(idleSince + TTL - 1);
  expect(r.snapshotOf('abandoned', 'jest')?.state).toBe('running');
  r.sweep(idleSince + TTL + 1);
  expect(r.snapshotOf('abandoned', 'jest')).toBeUndefined();
});

it("a run's journal deleted on eviction", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'fast-ci-evict-'));
  try {
    const store = new DataDirStore(dataDir);
    const r = registry(store);
    const run = open(r, 'journaled');
    finish(run);
    store.flush();
    const journals = (): string[] => readdirSync(path.join(dataDir, 'runs'));
    expect(journals()).toHaveLength(1);
    r.sweep(run.finishedAt! + TTL + 1);
    expect(journals()).toEqual([]);
    // The duration history outlives the run: later runs are still ordered by it.
    expect(readdirSync(path.join(dataDir, 'history'))).toHaveLength(1);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it("the server's own sweeper evicts finished runs", async () => {
  const server = await startTestServer({ finishedRunTtlMs: 1 });
  const { node } = await Node.join(server, { buildId: 'swept' });
  await node.enq(pendingTests(1));
  const [id] = (await node.deq()).response.tests;
  await node.deq({ [id]: passed() });
  await until(() => server.run('swept') === undefined, 'the finished run evicted');
});
