/**
 * Eviction of finished and abandoned runs. The registry is swept at chosen
 * instants (no waiting on a short TTL); one server-level test checks that the
 * server's own sweeper does it too.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pendingEntry } from '../../src/protocol/entries';
import type { JoinPayload } from '../../src/protocol/types';
import { KeyRing } from '../../src/server/host/KeyRing';
import { LocalStores } from '../../src/server/store/LocalStores';
import type { NodeLink, RunHost } from '../../src/server/host/RunHost';
import type { Member } from '../../src/server/run/runMachine';
import { replyOf, type Answer, type Reply } from '../../src/protocol/replies';
import { RunRegistry } from '../../src/server/host/RunRegistry';
import { cleanup, Node, passed, pendingTests, startTestServer, until } from './helpers';

const TTL = 60_000;
const keys = new KeyRing(['evict-key'], Buffer.alloc(32, 7));
const keyHash = keys.match('evict-key')!.hash;
const link: NodeLink = { push: () => undefined, supersede: () => undefined };
const registries: Array<{ registry: RunRegistry; store: LocalStores }> = [];

function registry(dataDir?: string): { registry: RunRegistry; store: LocalStores } {
  const store = new LocalStores({ dataDir, maxReportBytesPerRun: 1 << 20, maxReportBytesPerNode: 1 << 20, maxReportMemoryBytes: 1 << 20 });
  const settings = { leaseTimeoutMs: 60_000, reconnectGraceMs: 60_000, handoffAfterMs: 60_000, stragglerSlackMs: 60_000, maxFilesPerRun: 10, maxNodesPerRun: 10, maxCrashesPerFile: 2, splitMinSeconds: 10, recordFrames: false };
  const r = new RunRegistry({ maxRunsPerKey: 10, finishedRunTtlMs: TTL, maxFinishedRuns: 100, run: settings, warn: message => console.warn(message), quarantine: { autoAfter: undefined, days: 14, cleanRuns: 10, cap: 0.05 } }, keys, store);
  registries.push({ registry: r, store });
  return { registry: r, store };
}

async function open(r: RunRegistry, buildId: string): Promise<RunHost> {
  const opened = await r.open({ keyHash, runKey: 'jest', buildId }, {});
  if (!opened.ok) throw new Error(opened.reason);
  return opened.host;
}

function join(host: RunHost, payload: JoinPayload): Promise<Member> {
  return new Promise((resolve, reject) => host.join(payload, link, result => ('refused' in result ? reject(new Error(result.refused)) : resolve(result.member))));
}

function call(send: (respond: (answer: Answer) => void) => void): Promise<Reply> {
  return new Promise(resolve => send(answer => resolve(replyOf(answer))));
}

/** One node runs the run's one file to the end. */
async function finish(host: RunHost): Promise<void> {
  const member = await join(host, { node_id: 'n' });
  await call(respond => host.enq(member, { tests: { 'a.test.ts': pendingEntry() } }, respond));
  const batch = await call(respond => host.deq(member, {}, respond));
  const [id] = (batch.response as { tests: string[] }).tests;
  await call(respond => host.deq(member, { [id!]: passed() }, respond));
  expect(host.isFinished).toBe(true);
}

afterEach(async () => {
  for (const { registry: r, store } of registries.splice(0)) {
    r.close();
    await store.close();
  }
  await cleanup();
});

it('evicts a finished run once finishedRunTtlMs has passed since it finished, not before', async () => {
  const { registry: r } = registry();
  const host = await open(r, 'done');
  await finish(host);
  r.evict(host.state.finishedAt! + TTL - 1);
  expect(r.snapshotOf('done', 'jest')?.state).toBe('finished');
  r.evict(host.state.finishedAt! + TTL + 1);
  expect(r.snapshotOf('done', 'jest')).toBeUndefined();
});

it('evicts an unfinished run once nobody has been connected to it for finishedRunTtlMs', async () => {
  const { registry: r } = registry();
  const host = await open(r, 'abandoned');
  const member = await join(host, { node_id: 'n' });
  await call(respond => host.enq(member, { tests: { 'a.test.ts': pendingEntry(), 'b.test.ts': pendingEntry() } }, respond));
  host.detach(member);
  await until(() => host.idleSince !== undefined, 'the node detached');
  const idleSince = host.idleSince!;
  r.evict(idleSince + TTL - 1);
  expect(r.snapshotOf('abandoned', 'jest')?.state).toBe('running');
  r.evict(idleSince + TTL + 1);
  expect(r.snapshotOf('abandoned', 'jest')).toBeUndefined();
});

it("a run's journal deleted on eviction", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'fast-ci-evict-'));
  try {
    const { registry: r, store } = registry(dataDir);
    const host = await open(r, 'journaled');
    await finish(host);
    store.runs.flush();
    const journals = (): string[] => readdirSync(path.join(dataDir, 'runs'));
    expect(journals()).toHaveLength(1);
    r.evict(host.state.finishedAt! + TTL + 1);
    await until(() => journals().length === 0, 'the journal deleted');
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
