/**
 * The run's state machine, driven directly: no socket, no store, no timer.
 * Time is whatever the context says, so a lease that expires or a node
 * that is lost is decided at the exact instant chosen here. Replaying a
 * transition's events onto a fresh state must give the same state: that is
 * how a restarted server (the journal) and a second server (Redis) see it.
 */
import { inPart, type PartSpec } from '../../../src/protocol/parts';
import type { DeqResponse, FileEntry, JoinPayload, JoinResponse } from '../../../src/protocol/types';
import { checkEvent } from '../../../src/server/run/runEvents';
import { openEvent } from '../../../src/server/run/runIdentity';
import type { RunEvent } from '../../../src/server/run/runEvents';
import * as machine from '../../../src/server/run/runMachine';
import type { MachineContext, Member } from '../../../src/server/run/runMachine';
import { joinResponseOf, LEFT, replyOf, STALE, type Reply } from '../../../src/protocol/replies';
import { apply, attemptSeed, createRunState, historyResults, nodesOfAttempt, summaryOf, timelineOf, type RunState } from '../../../src/server/run/runState';
import { expectedDurations } from '../../../src/server/run/scheduling';
import { passed, pendingTests, resultsFor } from '../helpers';

const settings: machine.MachineSettings = { leaseTimeoutMs: 1_000, reconnectGraceMs: 500, handoffAfterMs: 200, stragglerSlackMs: 300, maxFilesPerRun: 100, maxNodesPerRun: 10, maxCrashesPerFile: 2, splitMinSeconds: 5 };
const NO_HISTORY: machine.EnqHistory = { durations: () => new Map(), tests: new Map() };
const HERE = 'server-a';
const OTHER = 'server-b';

/** A run with its log: every transition's events are applied (by the machine) and kept, as a store would. */
class Run {
  readonly state: RunState;
  readonly log: RunEvent[];
  now = 0;
  readonly dead = new Map<string, number>();

  constructor(buildId = 'b', quarantine: Array<[string, string]> = []) {
    const open = openEvent({ keyHash: 'k', runKey: 'jest', buildId }, {}, 0, quarantine);
    this.state = createRunState(open);
    this.log = [open];
  }

  ctx(instance = HERE): MachineContext {
    return {
      now: this.now,
      settings,
      instance,
      isAlive: name => !this.dead.has(name),
      deadSince: name => this.dead.get(name) ?? 0,
    };
  }

  step<T>(decide: (tr: machine.Transition) => T, instance = HERE): T {
    const tr = new machine.Transition(this.state, this.ctx(instance));
    const result = decide(tr);
    this.log.push(...tr.events);
    return result;
  }

  join(payload: JoinPayload, instance = HERE): Member {
    return this.step(tr => machine.join(tr, payload), instance).member;
  }

  /** The whole join reply (with the earlier attempt the host would have found). */
  joinReply(payload: JoinPayload, earlier?: machine.EarlierAttempt): { member: Member; response: JoinResponse } {
    const { member, joined } = this.step(tr => machine.join(tr, payload, earlier));
    return { member, response: joinResponseOf(joined) };
  }

  deq(member: Member, payload: unknown = {}, instance = HERE): { reply?: Reply; hold?: true } {
    const { answer, hold } = this.step(tr => machine.deq(tr, member, payload), instance);
    return answer === undefined ? { hold: hold! } : { reply: replyOf(answer) };
  }

  events<T extends RunEvent['t']>(t: T): Array<Extract<RunEvent, { t: T }>> {
    return this.log.filter((e): e is Extract<RunEvent, { t: T }> => e.t === t);
  }
}

function replyOfHeld(answer: ReturnType<typeof machine.serveHeld>): Reply | undefined {
  return answer === undefined ? undefined : replyOf(answer);
}

function tests(reply: Reply | undefined): string[] {
  return (reply?.response as { tests?: string[] }).tests ?? [];
}

/** The parts of a state a node or a server acts on. */
function view(state: RunState): unknown {
  return {
    nodes: state.nodes.map(n => ({ ...n })),
    queue: state.queue.toArray(),
    leases: state.leases.toRecord(),
    results: Object.fromEntries(state.results),
    failedOn: Object.fromEntries(state.failedOn),
    crashed: [...state.crashed],
    enqueuer: state.enqueuer,
    finishedAt: state.finishedAt,
    warnings: state.warnings,
  };
}

function replay(log: readonly RunEvent[]): RunState {
  const [open, ...rest] = log;
  const state = createRunState(open as Extract<RunEvent, { t: 'open' }>);
  for (const event of rest) apply(state, event);
  return state;
}

it('gives the same state when its events are replayed, the way a restarted or second server rebuilds a run', () => {
  const run = new Run();
  const a = run.join({ node_id: 'a', workers: 2 });
  const b = run.join({ node_id: 'b', workers: 2 });
  expect(replyOf(run.step(tr => machine.enq(tr, a, { tests: pendingTests(6) }, NO_HISTORY))).status).toBe('ok');
  const first = tests(run.deq(a).reply);
  tests(run.deq(b).reply);
  run.now = 10;
  run.deq(a, { [first[0]!]: passed() });
  run.step(tr => machine.leave(tr, b, {}));
  expect(view(replay(run.log))).toEqual(view(run.state));
  expect(replay(run.log).version).toBe(run.log.length);
});

it('takes a lease back when it is older than the lease timeout, at that instant and not before', () => {
  const run = new Run();
  const a = run.join({ node_id: 'a', workers: 1 });
  run.step(tr => machine.enq(tr, a, { tests: pendingTests(3) }, NO_HISTORY));
  run.now = 100;
  const batch = tests(run.deq(a).reply);
  run.now = 100 + settings.leaseTimeoutMs - 1;
  expect(machine.isSweepDue(run.state, run.ctx())).toBe(false);
  run.now = 100 + settings.leaseTimeoutMs;
  expect(machine.isSweepDue(run.state, run.ctx())).toBe(true);
  run.step(tr => machine.sweep(tr));
  expect(run.events('requeue')).toEqual([{ t: 'requeue', ids: batch, at: run.now }]);
  // Back at the front of the queue, for the next node to ask.
  expect(run.state.queue.toArray().slice(0, batch.length)).toEqual(batch);
  expect(run.state.leases.size).toBe(0);
});

it('loses a node only once its reconnect grace has passed, and a rejoin within the grace keeps its files', () => {
  const run = new Run();
  const a = run.join({ node_id: 'a', workers: 1 });
  run.join({ node_id: 'b', workers: 1 });
  run.step(tr => machine.enq(tr, a, { tests: pendingTests(4) }, NO_HISTORY));
  const held = tests(run.deq(a).reply);
  run.step(tr => machine.detach(tr, a));
  run.now = settings.reconnectGraceMs - 1;
  expect(machine.isSweepDue(run.state, run.ctx())).toBe(false);
  const { response } = run.joinReply({ node_id: 'a', workers: 1 });
  // The rejoined node learns what it holds: a deq reply may have been lost with the connection.
  expect(response.leases).toEqual(held);
  run.now = 10_000;
  expect(machine.isSweepDue(run.state, run.ctx())).toBe(true); // its lease is old now, the node is not gone
  run.step(tr => machine.sweep(tr));
  expect(run.events('lost')).toEqual([]);
});

it('records a file as failed once it was running on maxCrashesPerFile nodes when they died, instead of handing it on', () => {
  const run = new Run();
  const nodes = ['a', 'b', 'c'].map(id => run.join({ node_id: id, workers: 1 }));
  run.step(tr => machine.enq(tr, nodes[0]!, { tests: pendingTests(3) }, NO_HISTORY));
  const killer = tests(run.deq(nodes[0]!).reply)[0]!;
  for (const [i, node] of nodes.slice(0, 2).entries()) {
    if (i > 0) expect(tests(run.deq(node).reply)).toEqual([killer]);
    run.step(tr => machine.running(tr, node, { tests: [killer] }));
    run.step(tr => machine.detach(tr, node));
    run.now += settings.reconnectGraceMs;
    run.step(tr => machine.sweep(tr));
  }
  expect(run.events('lost').map(e => e.suspects)).toEqual([[killer], [killer]]);
  expect(run.events('crashed')).toEqual([{ t: 'crashed', id: killer, nodes: [0, 1], at: run.now }]);
  expect(run.state.results.get(killer)?.entry.file_status).toBe('failed');
  // The third node is not handed the file that took down two others.
  expect(tests(run.deq(nodes[2]!).reply)).not.toContain(killer);
});

it("counts a node's grace from when its server died, when that server stops being alive", () => {
  const run = new Run();
  const a = run.join({ node_id: 'a', workers: 1 }, OTHER);
  run.step(tr => machine.enq(tr, a, { tests: pendingTests(2) }, NO_HISTORY), OTHER);
  run.deq(a, {}, OTHER);
  run.now = 5_000;
  expect(machine.isSweepDue(run.state, { ...run.ctx(), settings: { ...settings, leaseTimeoutMs: 60_000 } })).toBe(false);
  run.dead.set(OTHER, 5_000);
  const ctx = (now: number): MachineContext => ({ ...run.ctx(), now, settings: { ...settings, leaseTimeoutMs: 60_000 } });
  expect(machine.isConnected(run.state.nodes[0]!, ctx(5_000))).toBe(false);
  expect(machine.isSweepDue(run.state, ctx(5_000 + settings.reconnectGraceMs - 1))).toBe(false);
  expect(machine.isSweepDue(run.state, ctx(5_000 + settings.reconnectGraceMs))).toBe(true);
});

it('asks another node to enqueue when the node asked leaves before its enq, and asks a joining node when the one asked has no channel', () => {
  const run = new Run();
  const a = run.join({ node_id: 'a' });
  const b = run.join({ node_id: 'b' });
  run.step(tr => machine.leave(tr, a, {}));
  expect(run.events('enqRequest')).toEqual([{ t: 'enqRequest', node: b.index }]);
  run.step(tr => machine.detach(tr, b));
  run.join({ node_id: 'c' });
  expect(run.events('enqRequest').at(-1)).toEqual({ t: 'enqRequest', node: 2 });
});

it('refuses a deq from a node that left, and from a channel replaced by a newer join of the same node', () => {
  const run = new Run();
  const old = run.join({ node_id: 'a' });
  run.step(tr => machine.enq(tr, old, { tests: pendingTests(2) }, NO_HISTORY));
  const fresh = run.join({ node_id: 'a' });
  expect(run.deq(old).reply).toEqual(replyOf(STALE));
  run.step(tr => machine.leave(tr, fresh, {}));
  expect(run.deq(fresh).reply).toEqual(replyOf(LEFT));
  expect(run.state.leases.size).toBe(0);
});

it('treats the nodes of a journal written before channels were recorded as gone since the server started', () => {
  const run = new Run();
  // An old journal: a join, no attach.
  apply(run.state, { t: 'join', index: 0, nodeId: 'a' });
  run.dead.set('', 1_000);
  expect(machine.isSweepDue(run.state, { ...run.ctx(), now: 1_000 + settings.reconnectGraceMs - 1 })).toBe(false);
  expect(machine.isSweepDue(run.state, { ...run.ctx(), now: 1_000 + settings.reconnectGraceMs })).toBe(true);
});

describe('backup copies', () => {
  /** a and b join with one worker each; a takes the only file. */
  function oneFileOnA(enqExtra: Record<string, unknown> = {}): { run: Run; a: Member; b: Member; file: string } {
    const run = new Run();
    const a = run.join({ node_id: 'a', workers: 1 });
    const b = run.join({ node_id: 'b', workers: 1 });
    run.step(tr => machine.enq(tr, a, { tests: pendingTests(1), ...enqExtra }, NO_HISTORY));
    const [file] = tests(run.deq(a).reply);
    return { run, a, b, file: file! };
  }

  it("hands a gone node's files to an idle node after handoffAfterMs, long before its grace ends, and takes the first result", () => {
    const { run, a, b, file } = oneFileOnA();
    run.step(tr => machine.detach(tr, a));
    run.now = settings.handoffAfterMs - 1;
    expect(run.deq(b).hold).toBe(true);
    run.now = settings.handoffAfterMs;
    expect(machine.hasBackupWork(run.state, run.ctx())).toBe(true);
    expect(tests(replyOfHeld(run.step(tr => machine.serveHeld(tr, b))))).toEqual([file]);
    run.deq(b, { [file]: passed() });
    expect(run.state.results.get(file)?.nodeIndex).toBe(b.index);
    expect(run.state.finishedAt).toBe(settings.handoffAfterMs);
    // a comes back with its own result: the run already has one.
    const again = run.join({ node_id: 'a', workers: 1 });
    run.deq(again, { [file]: passed() });
    expect(run.state.results.get(file)?.nodeIndex).toBe(b.index);
  });

  it("puts a gone node's files before queued ones, and into a busy node's free worker, once handoffAfterMs has passed", () => {
    const run = new Run();
    const a = run.join({ node_id: 'a', workers: 2 });
    const b = run.join({ node_id: 'b', workers: 2 });
    run.step(tr => machine.enq(tr, a, { tests: pendingTests(8) }, NO_HISTORY));
    const onA = tests(run.deq(a).reply);
    expect(onA).toHaveLength(2);
    run.step(tr => machine.detach(tr, a));
    run.now = settings.handoffAfterMs;
    // b asks with files still queued: a's come first.
    const first = tests(run.deq(b).reply);
    expect(first).toEqual(onA);
  });

  it("hands a gone node's file to a free worker of a node still running its own, not only to an idle node", () => {
    const run = new Run();
    const a = run.join({ node_id: 'a', workers: 2 });
    const b = run.join({ node_id: 'b', workers: 2 });
    run.step(tr => machine.enq(tr, a, { tests: pendingTests(2) }, NO_HISTORY));
    const [onA] = tests(run.deq(a).reply);
    expect(tests(run.deq(b).reply)).toHaveLength(1);
    run.step(tr => machine.detach(tr, a));
    run.now = settings.handoffAfterMs - 1;
    expect(tests(run.deq(b).reply)).toEqual([]);
    run.now = settings.handoffAfterMs;
    expect(tests(run.deq(b).reply)).toEqual([onA]);
    expect(run.events('copy')).toEqual([{ t: 'copy', node: b.index, ids: [onA], at: run.now }]);
  });

  it('records the holder\'s result when it comes back first, tells the copy\'s holder to drop it, and ignores the copy\'s', () => {
    const { run, a, b, file } = oneFileOnA();
    run.step(tr => machine.detach(tr, a));
    run.now = settings.handoffAfterMs;
    expect(tests(run.deq(b).reply)).toEqual([file]);
    const again = run.join({ node_id: 'a', workers: 1 });
    run.deq(again, { [file]: passed() });
    expect(run.events('cancel')).toEqual([{ t: 'cancel', node: b.index, ids: [file], at: run.now }]);
    // The timeline shows both, the copy ending when it was dropped.
    expect(timelineOf(run.state).spans.filter(span => span.id === file).map(span => [span.node, span.outcome])).toEqual([
      [a.index, 'passed'],
      [b.index, 'released'],
    ]);
    run.deq(b, { [file]: passed() });
    expect(run.state.results.get(file)?.nodeIndex).toBe(a.index);
    expect(run.state.warnings.at(-1)).toMatch(/already has a result from node 0/);
  });

  it('copies a straggler, a file running past twice its expected time plus the slack, to an idle node', () => {
    const run = new Run();
    const a = run.join({ node_id: 'a', workers: 1 });
    const b = run.join({ node_id: 'b', workers: 1 });
    run.step(tr => machine.enq(tr, a, { tests: pendingTests(1, () => 2) }, { durations: entries => expectedDurations(entries), tests: new Map() }));
    const [file] = tests(run.deq(a).reply);
    run.now = 2 * 2_000 + settings.stragglerSlackMs;
    expect(run.deq(b).hold).toBe(true);
    run.now += 1;
    expect(run.step(tr => machine.serveHeld(tr, b))).toBeDefined();
    expect(run.events('copy')).toEqual([{ t: 'copy', node: b.index, ids: [file], at: run.now }]);
  });

  it('makes no copy when the enq said backups: false', () => {
    const { run, a, b } = oneFileOnA({ backups: false });
    run.step(tr => machine.detach(tr, a));
    run.now = 1_000_000;
    expect(machine.hasBackupWork(run.state, run.ctx())).toBe(false);
    expect(run.deq(b).hold).toBe(true);
  });

  it('gives the copy the lease when the gone holder is lost, instead of queueing the file again', () => {
    const { run, a, b, file } = oneFileOnA();
    run.step(tr => machine.detach(tr, a));
    run.now = settings.handoffAfterMs;
    run.deq(b);
    run.now = settings.reconnectGraceMs;
    run.step(tr => machine.sweep(tr));
    expect(run.events('promote')).toEqual([{ t: 'promote', node: b.index, id: file }]);
    expect(run.state.leases.holder(file)).toBe(b.index);
    expect(run.events('requeue')).toEqual([]);
  });

  it('stops copying a file once maxCrashesPerFile nodes died holding it, so a file that kills its node does not take down every idle one', () => {
    const run = new Run();
    const nodes = ['a', 'b', 'c'].map(id => run.join({ node_id: id, workers: 1 }));
    run.step(tr => machine.enq(tr, nodes[0]!, { tests: pendingTests(1) }, NO_HISTORY));
    const [file] = tests(run.deq(nodes[0]!).reply);
    run.step(tr => machine.running(tr, nodes[0]!, { tests: [file] }));
    run.step(tr => machine.detach(tr, nodes[0]!));
    run.now = settings.reconnectGraceMs; // a is lost: the file is noted against it, and queued again
    run.step(tr => machine.sweep(tr));
    expect(tests(run.deq(nodes[1]!).reply)).toEqual([file]);
    run.step(tr => machine.running(tr, nodes[1]!, { tests: [file] }));
    run.step(tr => machine.detach(tr, nodes[1]!));
    run.now += settings.handoffAfterMs;
    // b is gone too, holding the file that took a down: c is not handed a copy.
    expect(run.deq(nodes[2]!).hold).toBe(true);
    run.now += settings.reconnectGraceMs;
    run.step(tr => machine.sweep(tr));
    expect(run.events('crashed')).toEqual([{ t: 'crashed', id: file, nodes: [0, 1], at: run.now }]);
  });
});

describe('parts of slow files', () => {
  const heavyTests = Array.from({ length: 6 }, (_, i) => [`t${i}`, 1] as const);
  const history: machine.EnqHistory = { durations: entries => expectedDurations(entries, id => (id === 'file-0.test.ts' ? 6 : 0.5)), tests: new Map([['file-0.test.ts', heavyTests]]) };
  const partEntry = (names: readonly string[], status: 'passed' | 'failed' = 'passed'): FileEntry => {
    const entry: FileEntry = { file_status: status, test_count: names.length, test_counters: { passed: status === 'passed' ? names.length : names.length - 1, failed: status === 'failed' ? 1 : 0, pending: 0 }, run_time: names.length };
    names.forEach((name, i) => (entry[String(i + 1)] = { status: status === 'failed' && i === 0 ? 'failed' : 'passed', run_time: 1, description: name }));
    return entry;
  };

  function split(): { run: Run; a: Member; b: Member; old: Member } {
    const run = new Run();
    const a = run.join({ node_id: 'a', workers: 1, accepts: ['parts'] });
    const b = run.join({ node_id: 'b', workers: 1, accepts: ['parts'] });
    const old = run.join({ node_id: 'old', workers: 1 });
    expect(replyOf(run.step(tr => machine.enq(tr, a, { tests: pendingTests(3) }, history))).status).toBe('ok');
    return { run, a, b, old };
  }

  it('splits a file over a share into parts, queued longest first, and hands them only to nodes that accept parts', () => {
    const { run, a, old } = split();
    // 7 s over 3 slots: the 6 s file becomes 3 parts of 2 s.
    expect(run.state.queue.toArray().slice(0, 3)).toEqual([1, 2, 3].map(i => `file-0.test.ts#part-${i}-of-3`));
    expect(tests(run.deq(old).reply)).toEqual(['file-1.test.ts']);
    const reply = run.deq(a).reply!;
    expect(tests(reply)).toEqual(['file-0.test.ts#part-1-of-3']);
    expect((reply.response as unknown as DeqResponse).parts).toEqual({ 'file-0.test.ts#part-1-of-3': { file: 'file-0.test.ts', tests: expect.any(Array) } });
    expect(run.state.warnings).toContain('split 1 slow file into 3 parts (3 slots)');
  });

  it("records the file once every part has a result, merged; a failed part fails the file; replay gives the same state", () => {
    const { run, a, b, old } = split();
    const specs = new Map<string, PartSpec>();
    const take = (m: Member): string[] => {
      const reply = run.deq(m).reply!;
      for (const [id, spec] of Object.entries((reply.response as unknown as DeqResponse).parts ?? {})) specs.set(id, spec);
      return tests(reply);
    };
    const [p1] = take(a);
    const [p2] = take(b);
    run.deq(old, { [tests(run.deq(old).reply)[0] ?? 'none']: passed() });
    const names = (id: string): string[] => heavyTests.map(([n]) => n).filter(n => inPart(specs.get(id)!, n));
    const [p3] = tests(run.deq(a, { [p1!]: partEntry(names(p1!)) }).reply);
    specs.set(p3!, run.state.parts.get(p3!)!);
    run.deq(b, { [p2!]: partEntry(names(p2!), 'failed') });
    expect(run.state.results.has('file-0.test.ts')).toBe(false);
    run.deq(a, { [p3!]: partEntry(names(p3!)) });
    const merged = run.state.results.get('file-0.test.ts')!.entry;
    expect(merged).toMatchObject({ file_status: 'failed', test_count: 6, test_counters: { passed: 5, failed: 1 } });
    expect(view(replay(run.log))).toEqual(view(run.state));
    expect(replay(run.log).partResults.size).toBe(3);
  });

  it('runs a failed split file again in all its parts when a retried CI job joins', () => {
    const { run, a, b, old } = split();
    const names = (id: string): string[] => heavyTests.map(([n]) => n).filter(n => inPart(run.state.parts.get(id)!, n));
    const nodes = [a, b, old];
    // Every node runs what it is handed until the run is done; part 1 fails.
    for (let round = 0; round < 10 && run.state.finishedAt === undefined; round++) {
      for (const m of nodes) {
        const held = run.state.leases.heldBy(m.index);
        const results = Object.fromEntries(held.map(id => [id, run.state.parts.has(id) ? partEntry(names(id), id.endsWith('part-1-of-3') ? 'failed' : 'passed') : passed()]));
        run.deq(m, results);
      }
    }
    expect(run.state.results.get('file-0.test.ts')!.entry.file_status).toBe('failed');
    for (const m of nodes) run.step(tr => machine.leave(tr, m, {}));
    const retried = run.joinReply({ node_id: 'retried', workers: 1, accepts: ['parts'], retry_run: { mode: 'failed', again: true } });
    expect(retried.response.retry_run).toMatchObject({ status: 'retry', rerun: 1 });
    expect(run.state.queue.toArray().sort()).toEqual([1, 2, 3].map(i => `file-0.test.ts#part-${i}-of-3`));
    expect(run.state.partResults.size).toBe(0);
    expect(view(replay(run.log))).toEqual(view(run.state));
  });

  it('does not split for a node that does not accept parts, or when the enq says split: false', () => {
    const run = new Run();
    const old = run.join({ node_id: 'old', workers: 1 });
    run.join({ node_id: 'b', workers: 1, accepts: ['parts'] });
    run.step(tr => machine.enq(tr, old, { tests: pendingTests(3), nodes: 3 }, history));
    expect(run.state.parts.size).toBe(0);
    const off = new Run();
    const a = off.join({ node_id: 'a', workers: 1, accepts: ['parts'] });
    off.step(tr => machine.enq(tr, a, { tests: pendingTests(3), nodes: 3, split: false }, history));
    expect(off.state.parts.size).toBe(0);
    expect(replyOf(off.step(tr => machine.enq(tr, a, { tests: pendingTests(3), nodes: 0 }, history))).status).toBe('error');
  });
});

describe('retry runs (a retried CI job)', () => {
  const failed = (): FileEntry => ({ ...passed(), file_status: 'failed', test_counters: { failed: 1, passed: 0, pending: 0 } });

  /** A run of three files on one node, finished: file-1 failed (or none, with `fail: false`). */
  function finishedRun(buildId = 'b', fail = true): Run {
    const run = new Run(buildId);
    const a = run.join({ node_id: 'a', workers: 4 });
    run.step(tr => machine.enq(tr, a, { tests: pendingTests(3) }, NO_HISTORY));
    run.now = 10;
    // The node runs what it is handed until the run is done (batches shrink as the queue drains).
    let batch = tests(run.deq(a).reply);
    while (batch.length > 0) {
      const results = Object.fromEntries(batch.map(id => [id, fail && id === 'file-1.test.ts' ? failed() : passed()]));
      batch = tests(run.deq(a, results).reply);
    }
    expect(run.state.finishedAt).toBe(10);
    run.step(tr => machine.leave(tr, a, {}));
    return run;
  }

  it('makes a finished run with failures a new attempt when a retried job joins it: only the failed file runs, the passes stand', () => {
    const run = finishedRun();
    run.now = 100;
    const retried = run.joinReply({ node_id: 'retried', retry_run: { mode: 'failed' } });
    expect(retried.response).toMatchObject({ state: 'running', retry_run: { status: 'retry', of: 'b', attempt: 2, rerun: 1, kept: 2, files: 3 } });
    expect(retried.response.finished).toBeUndefined();
    expect(run.events('attempt')).toEqual([{ t: 'attempt', attempt: 2, of: 'b', mode: 'failed', at: 100 }]);
    expect(tests(run.deq(retried.member).reply)).toEqual(['file-1.test.ts']);
    const done = run.deq(retried.member, { 'file-1.test.ts': passed() }).reply;
    expect((done?.response as { summary: unknown }).summary).toMatchObject({ files: 3, passed: 3, failed: 0, nodes: 1, kept: 2, files_by_node: { '1': 1 } });
    expect(run.state.finishedAt).toBe(100);
    for (const event of run.log) expect(checkEvent(JSON.parse(JSON.stringify(event)))).toBeUndefined();
    expect(view(replay(run.log))).toEqual(view(run.state));
    expect(replay(run.log).attempt).toBe(2);
  });

  it('keeps a late node of the run (its CI says first attempt) out of it, and a rejoin by node_id too', () => {
    const run = finishedRun();
    const late = run.joinReply({ node_id: 'late', retry_run: { mode: 'failed', again: false } });
    expect(late.response.finished).toBe(true);
    expect(late.response.retry_run).toBeUndefined();
    run.joinReply({ node_id: 'a', retry_run: { mode: 'failed' } });
    expect(run.events('attempt')).toEqual([]);
    // A reference client (no retry_run) is told the run finished, as before.
    expect(run.joinReply({}).response.finished).toBe(true);
  });

  it('runs nothing for a retried job of a run that passed, and says so; with mode all it runs every file again', () => {
    const run = finishedRun('b', false);
    const retried = run.joinReply({ node_id: 'r1', retry_run: { mode: 'failed', again: true } });
    expect(retried.response).toMatchObject({ finished: true, retry_run: { status: 'retry', of: 'b', rerun: 0, kept: 3, files: 3 } });
    expect(run.events('attempt')).toEqual([]);
    const all = run.joinReply({ node_id: 'r2', retry_run: { mode: 'all', again: true } });
    expect(all.response).toMatchObject({ state: 'running', retry_run: { status: 'all', of: 'b', attempt: 2 } });
    expect(run.state.queue.length).toBe(3);
    expect(summaryOf(run.state).files).toBe(0);
  });

  it("continues another build's run (GitHub's <run_id>-2): its files and passes, carried in the event, so the log replays alone", () => {
    const first = finishedRun('100');
    const found = attemptSeed(first.state)!;
    const run = new Run('100-2');
    run.now = 50;
    const joined = run.joinReply({ node_id: 'x', retry_run: { mode: 'failed', again: false, earlier: ['100'], attempt: 2 } }, found);
    expect(joined.response).toMatchObject({ node_index: 0, state: 'running', retry_run: { status: 'retry', of: '100', attempt: 2, rerun: 1, kept: 2, files: 3 } });
    expect(run.events('enqRequest')).toEqual([]);
    const other = run.joinReply({ node_id: 'y', retry_run: { mode: 'failed', again: false, earlier: ['100'], attempt: 2 } });
    expect(other.response.retry_run).toMatchObject({ status: 'retry', rerun: 1 });
    expect(tests(run.deq(joined.member).reply)).toEqual(['file-1.test.ts']);
    const summary = (run.deq(joined.member, { 'file-1.test.ts': failed() }).reply?.response as { summary: unknown }).summary;
    expect(summary).toMatchObject({ files: 3, passed: 2, failed: 1, kept: 2, files_by_node: { '0': 1 } });
    expect(run.state.results.get('file-0.test.ts')).toMatchObject({ from: '100', attempt: 1 });
    for (const event of run.log) expect(checkEvent(JSON.parse(JSON.stringify(event)))).toBeUndefined();
    expect(view(replay(JSON.parse(JSON.stringify(run.log))))).toEqual(view(run.state));
    // Its attempt 3 takes over attempt 2's passes, which name the run that holds their reports.
    expect(attemptSeed(run.state)!.seed.kept['file-0.test.ts']).toMatchObject({ from: '100', attempt: 1 });
    expect(attemptSeed(run.state)!.attempt).toBe(2);
  });

  it('takes over files named __proto__ and constructor like any other, through the journal', () => {
    const first = new Run('p');
    const a = first.join({ node_id: 'a', workers: 4 });
    const entry = pendingTests(1)['file-0.test.ts']!;
    const ids = ['__proto__', 'constructor', 'plain'];
    first.step(tr => machine.enq(tr, a, { tests: Object.fromEntries(ids.map(id => [id, entry])) }, NO_HISTORY));
    let batch = tests(first.deq(a).reply);
    while (batch.length > 0) batch = tests(first.deq(a, Object.fromEntries(batch.map(id => [id, id === 'plain' ? failed() : passed()]))).reply);
    const run = new Run('p-2');
    run.joinReply({ node_id: 'x', retry_run: { mode: 'failed', earlier: ['p'] } }, JSON.parse(JSON.stringify(attemptSeed(first.state))));
    expect([...run.state.results.keys()].sort()).toEqual(['__proto__', 'constructor']);
    expect(run.state.queue.toArray()).toEqual(['plain']);
    expect(view(replay(JSON.parse(JSON.stringify(run.log))))).toEqual(view(run.state));
  });

  it('finishes at once, passed, a retry of a build whose earlier attempt passed', () => {
    const found = attemptSeed(finishedRun('100', false).state)!;
    const run = new Run('100-2');
    const joined = run.joinReply({ node_id: 'x', retry_run: { mode: 'failed', earlier: ['100'] } }, found);
    expect(joined.response).toMatchObject({ finished: true, retry_run: { status: 'retry', rerun: 0, kept: 3 } });
    expect(summaryOf(run.state)).toMatchObject({ files: 3, passed: 3, failed: 0, nodes: 1, kept: 3 });
  });

  it('runs everything when the earlier attempt is not known, and tells every node why', () => {
    const run = new Run('100-2');
    const why = 'the orchestrator no longer knows build 100';
    const first = run.joinReply({ node_id: 'x', retry_run: { mode: 'failed', earlier: ['100'] } }, { of: '100', missing: why });
    expect(first.response).toMatchObject({ node_index: 0, state: 'waiting', retry_run: { status: 'unknown', of: '100', reason: why } });
    expect(run.joinReply({ node_id: 'y', retry_run: { mode: 'failed', earlier: ['100'] } }).response.retry_run).toMatchObject({ status: 'unknown' });
    expect(replyOf(run.step(tr => machine.enq(tr, first.member, { tests: pendingTests(3) }, NO_HISTORY))).status).toBe('ok');
    expect(run.state.queue.length).toBe(3);
    expect(view(replay(run.log))).toEqual(view(run.state));
    // GitHub's attempt 3 of it keeps the CI's numbering, though this server ran attempt 2 as a new run.
    const third = new Run('100-3').joinReply({ node_id: 'z', retry_run: { mode: 'failed', earlier: ['100-2', '100'], attempt: 3 } }, attemptSeed(run.state));
    expect(third.response.retry_run).toMatchObject({ status: 'retry', of: '100-2', attempt: 3, rerun: 3, kept: 0 });
  });
});

describe('a run that stops before every file ran', () => {
  const failing = (): FileEntry => ({ ...passed(), file_status: 'failed', test_counters: { failed: 1, passed: 0, pending: 0 } });

  it("stops the run once its --bail count of files failed: every holder is told to drop its files, and every node is told it is done", () => {
    const run = new Run();
    const a = run.join({ node_id: 'a', workers: 2 });
    const b = run.join({ node_id: 'b', workers: 2 });
    expect(replyOf(run.step(tr => machine.enq(tr, a, { tests: pendingTests(8), bail: 1 }, NO_HISTORY))).status).toBe('ok');
    const onA = tests(run.deq(a).reply);
    const onB = tests(run.deq(b).reply);
    // One failed file on a: the run stops; b's files and a's other one are dropped.
    const done = run.deq(a, { [onA[0]!]: failing() }).reply!;
    expect(run.events('stop')).toEqual([{ t: 'stop', why: 'bail', at: run.now }]);
    expect(run.events('cancel')).toEqual(
      expect.arrayContaining([
        { t: 'cancel', node: a.index, ids: onA.slice(1), at: run.now },
        { t: 'cancel', node: b.index, ids: onB, at: run.now },
      ]),
    );
    expect(run.state.finishedAt).toBe(run.now);
    const summary = (done.response as { summary: Record<string, unknown> }).summary;
    expect(summary).toMatchObject({ failed: 1, files: 1, stopped: 'bail', not_run: 7 });
    // b asks again: it is told the run is done, with the same summary.
    expect((run.deq(b).reply!.response as { tests: string[]; summary: unknown })).toMatchObject({ tests: [], summary: { stopped: 'bail', not_run: 7 } });
    expect(summaryOf(replay(run.log))).toMatchObject({ stopped: 'bail', not_run: 7 });
  });

  it('does not stop below the --bail count, and refuses a bail that is not a count of files', () => {
    const run = new Run();
    const a = run.join({ node_id: 'a', workers: 1 });
    run.step(tr => machine.enq(tr, a, { tests: pendingTests(3), bail: 2 }, NO_HISTORY));
    const [first] = tests(run.deq(a).reply);
    const next = tests(run.deq(a, { [first!]: failing() }).reply);
    expect(run.events('stop')).toEqual([]);
    expect(next).toHaveLength(1);
    const other = new Run();
    const o = other.join({ node_id: 'o', workers: 1 });
    expect(replyOf(other.step(tr => machine.enq(tr, o, { tests: pendingTests(3), bail: -1 }, NO_HISTORY)))).toMatchObject({ status: 'error', response: { reason: expect.stringContaining('enq bail must be') } });
  });

  it('is cancelled by its key the same way', () => {
    const run = new Run();
    const a = run.join({ node_id: 'a', workers: 1 });
    run.step(tr => machine.enq(tr, a, { tests: pendingTests(2) }, NO_HISTORY));
    const held = tests(run.deq(a).reply);
    run.step(tr => machine.stopRun(tr, 'cancelled'));
    expect(run.events('cancel')).toEqual([{ t: 'cancel', node: a.index, ids: held, at: run.now }]);
    expect(summaryOf(run.state)).toMatchObject({ stopped: 'cancelled', not_run: 2 });
  });
});

describe("the run's quarantine", () => {
  /** A file with two tests: `flips` and `steady`, each failing with its own text when named. */
  const entry = (failing: Record<string, string>): FileEntry => {
    const test = (name: string) => (name in failing ? { status: 'failed' as const, run_time: 0.1, description: name, failure_message: failing[name] } : { status: 'passed' as const, run_time: 0.1, description: name });
    const failed = Object.keys(failing).length;
    return { file_status: failed > 0 ? 'failed' : 'passed', test_count: 2, test_counters: { failed, passed: 2 - failed, pending: 0 }, run_time: 0.2, '1': test('cart flips'), '2': test('cart steady') };
  };

  it('tells every node the list it opened with, and counts a file that failed only in quarantined tests apart: not failed, not a --bail', () => {
    const run = new Run('b', [['file-0.test.ts', 'cart flips']]);
    const a = run.joinReply({ node_id: 'a', workers: 1 });
    const b = run.joinReply({ node_id: 'b', workers: 1 });
    expect(a.response.quarantine).toEqual([['file-0.test.ts', 'cart flips']]);
    expect(b.response.quarantine).toEqual(a.response.quarantine);
    run.step(tr => machine.enq(tr, a.member, { tests: pendingTests(3), bail: 1 }, NO_HISTORY));
    const results: Record<string, FileEntry> = {
      'file-0.test.ts': entry({ 'cart flips': 'Error: timing\n    at t (cart.test.js:4:5)' }),
      'file-1.test.ts': passed(),
      'file-2.test.ts': passed(),
    };
    let batch = tests(run.deq(a.member).reply);
    let reply: Reply | undefined;
    while (batch.length > 0) {
      reply = run.deq(a.member, Object.fromEntries(batch.map(id => [id, results[id]!]))).reply;
      batch = tests(reply);
    }
    expect(run.events('stop')).toEqual([]);
    const summary = (reply!.response as { summary: Record<string, unknown> }).summary;
    expect(summary).toMatchObject({ files: 3, passed: 2, failed: 0, quarantined: ['file-0.test.ts'] });
    expect(summaryOf(replay(run.log))).toEqual(summaryOf(run.state));
    // The file's real status stands in its record.
    expect(run.state.results.get('file-0.test.ts')!.entry.file_status).toBe('failed');
  });

  it('fails the run for a quarantined test in a file whose other tests fail too, or whose every test failed with one text (a hook)', () => {
    const hook = 'Error: db down\n    at beforeEach (cart.test.js:3:9)';
    for (const failing of [{ 'cart flips': 'a', 'cart steady': 'b' }, { 'cart flips': hook, 'cart steady': hook }]) {
      const run = new Run('b', [['file-0.test.ts', 'cart flips']]);
      const a = run.join({ node_id: 'a', workers: 1 });
      run.step(tr => machine.enq(tr, a, { tests: pendingTests(1), bail: 1 }, NO_HISTORY));
      const done = run.deq(a, { [tests(run.deq(a).reply)[0]!]: entry(failing) }).reply!;
      expect((done.response as { summary: Record<string, unknown> }).summary).toMatchObject({ failed: 1, stopped: 'bail' });
      expect(summaryOf(run.state).quarantined).toBeUndefined();
    }
  });

  it('takes the quarantine as it is now when a retried job of the same build begins a new attempt', () => {
    const run = new Run('b');
    const a = run.join({ node_id: 'a', workers: 1 });
    run.step(tr => machine.enq(tr, a, { tests: pendingTests(1) }, NO_HISTORY));
    const first = run.deq(a, { [tests(run.deq(a).reply)[0]!]: entry({ 'cart flips': 'Error: timing' }) }).reply!;
    expect((first.response as { summary: Record<string, unknown> }).summary).toMatchObject({ failed: 1 });
    // The test was quarantined after the red build; its job is retried.
    const now: Array<[string, string]> = [['file-0.test.ts', 'cart flips']];
    const retried = run.step(tr => machine.join(tr, { node_id: 'again', retry_run: { mode: 'failed' } }, undefined, now));
    expect(joinResponseOf(retried.joined).quarantine).toEqual(now);
    expect(run.events('attempt')).toEqual([expect.objectContaining({ attempt: 2, quarantine: now })]);
    const done = run.deq(retried.member, { [tests(run.deq(retried.member).reply)[0]!]: entry({ 'cart flips': 'Error: timing' }) }).reply!;
    expect((done.response as { summary: Record<string, unknown> }).summary).toMatchObject({ failed: 0, quarantined: ['file-0.test.ts'] });
    for (const event of run.log) expect(checkEvent(JSON.parse(JSON.stringify(event)))).toBeUndefined();
    expect(summaryOf(replay(run.log))).toEqual(summaryOf(run.state));
    // Green, but a file failed in a quarantined test: a job retried again runs it again (a node with FAST_CI_QUARANTINE=report fails on it).
    const third = run.step(tr => machine.join(tr, { node_id: 'third', retry_run: { mode: 'failed' } }, undefined, now));
    expect(joinResponseOf(third.joined).retry_run).toMatchObject({ status: 'retry', attempt: 3, rerun: 1 });
  });
});

describe('warm caches (the warm extension)', () => {
  it('hands each node the files its Jest cache is warm for first, and replays to the same state', () => {
    const run = new Run();
    const ids = Object.keys(pendingTests(8));
    const a = run.join({ node_id: 'a', workers: 2, warm: [ids[6]!, ids[7]!, 'not-in-the-run.test.ts'] });
    const b = run.join({ node_id: 'b', workers: 2, warm: [ids[0]!, ids[1]!] });
    run.step(tr => machine.enq(tr, a, { tests: pendingTests(8, i => 8 - i) }, { durations: entries => expectedDurations(entries), tests: new Map() }));
    expect(tests(run.deq(a).reply)).toEqual([ids[6], ids[7]]);
    expect(tests(run.deq(b).reply)).toEqual([ids[0]]);
    expect(view(replay(run.log))).toEqual(view(run.state));
  });

  it('keeps what a node said when it rejoins without saying it again', () => {
    const run = new Run();
    const ids = Object.keys(pendingTests(4));
    const a = run.join({ node_id: 'a', workers: 1, warm: [ids[3]!] });
    run.step(tr => machine.enq(tr, a, { tests: pendingTests(4) }, NO_HISTORY));
    const again = run.join({ node_id: 'a', workers: 1 });
    expect(tests(run.deq(again).reply)).toEqual([ids[3]]);
  });
});

it('teaches the history durations divided by each node\'s speed in the run, and how many nodes it had', () => {
  const run = new Run();
  const a = run.join({ node_id: 'a', workers: 1 });
  const b = run.join({ node_id: 'b', workers: 1 });
  // Twelve files expected at 1 s each; node b is twice as slow as node a.
  run.step(tr => machine.enq(tr, a, { tests: pendingTests(12, () => 1) }, { durations: entries => expectedDurations(entries), tests: new Map() }));
  const next = (member: Member, results: FileEntry, ids: string[] = []): string[] => {
    const { reply } = run.deq(member, resultsFor(ids, results));
    return reply === undefined ? [] : tests(reply);
  };
  const held = { a: next(a, passed(1)), b: next(b, passed(2)) };
  for (let i = 0; i < 20 && run.state.finishedAt === undefined; i += 1) {
    held.a = next(a, passed(1), held.a);
    held.b = next(b, passed(2), held.b);
  }
  const byNode = new Map([...run.state.results].map(([id, r]) => [id, r.nodeIndex]));
  expect(new Set(byNode.values())).toEqual(new Set([0, 1]));
  // Against the median node (1.5 s a file): a's files 1 / (2/3), b's 2 / (4/3): both 1.5 s.
  for (const [, { entry }] of historyResults(run.state)) expect(entry.run_time).toBeCloseTo(1.5);
  expect(nodesOfAttempt(run.state)).toBe(2);
});

it('waits for what a gone node may still report only until handoffAfterMs after it went, not for its whole grace', () => {
  const run = new Run();
  const a = run.join({ node_id: 'a', workers: 1 });
  const node = run.state.nodes[a.index]!;
  expect(machine.mayStillReport(node, run.ctx())).toBe(true);
  run.now = 100;
  run.step(tr => machine.detach(tr, a));
  run.now = 100 + settings.handoffAfterMs - 1;
  expect(machine.mayStillReport(node, run.ctx())).toBe(true);
  run.now = 100 + settings.handoffAfterMs;
  expect(machine.mayStillReport(node, run.ctx())).toBe(false);
  // Back within its grace: it may report again.
  run.join({ node_id: 'a', workers: 1 });
  expect(machine.mayStillReport(node, run.ctx())).toBe(true);
  run.step(tr => machine.leave(tr, { index: node.index, generation: node.generation }, {}));
  expect(machine.mayStillReport(node, run.ctx())).toBe(false);
});
