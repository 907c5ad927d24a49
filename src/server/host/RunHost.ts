/**
 * One run on this server: its state, kept up to date from the store, and
 * the channels of its nodes that are joined here. Each request becomes a
 * transition (runMachine.ts): decided while this server holds the run's
 * lock, its events appended to the store, and only then answered. Events
 * from other servers (Redis) are applied as they come. After any events,
 * the host reacts for its own channels: it answers held deqs that now have
 * an answer and tells idle nodes to come (deq_request) or to enqueue
 * (enq_request). A node's liveness (its channel here, its grace) lives in
 * the run's state (attach, detach, lost), decided by the machine.
 */
import debug from 'debug';
import { Events } from '../../protocol/constants';
import type { KnownTest } from '../../protocol/parts';
import { Refusals, refused, withRetry, work, type Answer, type Joined } from '../../protocol/replies';
import type { EntryMap, JoinPayload, Message } from '../../protocol/types';
import * as machine from '../run/runMachine';
import type { Member } from '../run/runMachine';
import type { RunEvent } from '../run/runEvents';
import { attemptSeed, isEnqueued, isFinished, summaryOf, type RunState } from '../run/runState';
import type { RunIdentity } from '../run/runIdentity';
import type { SharedRunLog, Stores } from '../store/types';
import { HeldView, type Held, type Respond } from './HeldView';
import { snapshotOf } from './snapshotOf';
import { RunBatcher, type StoreTimings, type Command } from './RunBatcher';
import { expectedDurations } from '../run/scheduling';
import type { FrameRecord, RunSnapshot } from '../types';

export type { Respond } from './HeldView';

const log = debug('jest-fast-ci:server:run');

/** Caps on what a run keeps for inspection. */
const MAX_FRAMES = 100_000;

/** How a run reaches the channel a node joined on (implemented by the connection). */
export interface NodeLink {
  /** Sends a push (ref null) on the node's channel. */
  push(event: string, payload: Record<string, unknown>): void;
  /** The same node joined on another channel: close this one. */
  supersede(): void;
}

/** What a run's host uses of the stores: the run's log, which servers are up, the duration history. */
export type HostStores = Pick<Stores, 'runs' | 'liveness' | 'history'>;

export interface HostSettings extends machine.MachineSettings {
  readonly recordFrames: boolean;
  /** The store's lock and commit times (/metrics). */
  readonly timings?: StoreTimings;
}

export interface HostHooks {
  /** The run finished (applied here, from whichever server). `committedHere`: this server appended the finish. */
  onFinish(host: RunHost, committedHere: boolean): void;
  /** Every event applied here, in order, with the time it was applied (the dashboard's live feed). */
  onEvents(host: RunHost, events: readonly RunEvent[]): void;
}

function failure(reason?: string): Answer {
  return refused(reason ?? Refusals.internal);
}

export class RunHost {
  readonly runId: string;
  readonly identity: RunIdentity;
  readonly #batcher: RunBatcher<HeldView>;
  readonly #stores: HostStores;
  readonly #settings: HostSettings;
  readonly #hooks: HostHooks;
  /** This server's channels, by node index. */
  readonly #links = new Map<number, { generation: number; link: NodeLink }>();
  /** Deqs this server holds (a node may have sent a second deq while its first waits). */
  #held: Held[] = [];
  readonly #frames: FrameRecord[] = [];
  readonly #unwatch: () => void;

  constructor(runId: string, events: readonly RunEvent[], stores: HostStores, settings: HostSettings, hooks: HostHooks) {
    this.runId = runId;
    this.#stores = stores;
    this.#batcher = new RunBatcher(runId, events, stores.runs, {
      ctx: () => this.#ctx(),
      begin: () => new HeldView(this.#held),
      dispatch: (tr, held) => this.#dispatch(tr, held),
      keep: held => (this.#held = held.applyTo(this.#held, h => this.#links.get(h.member.index)?.generation === h.member.generation)),
      react: (remote, committed) => this.#react(remote, committed),
      ...(settings.timings === undefined ? {} : { timings: settings.timings }),
    });
    this.identity = this.#batcher.state.identity;
    this.#settings = settings;
    this.#hooks = hooks;
    // Another server appended: catch up, then react for this server's channels.
    this.#unwatch = stores.runs.shared ? stores.runs.watch(runId, () => void this.#enqueue({ decide: () => () => undefined })) : () => undefined;
  }

  get state(): Readonly<RunState> {
    return this.#batcher.state;
  }

  get #state(): RunState {
    return this.#batcher.state;
  }

  get label(): string {
    return `${this.identity.runKey}-${this.identity.buildId}`;
  }

  get isFinished(): boolean {
    return isFinished(this.#state);
  }

  /** No channel of this run is connected anywhere, and since when (for abandoned runs). */
  get idleSince(): number | undefined {
    const ctx = this.#ctx();
    if (this.#state.nodes.some(node => machine.isConnected(node, ctx))) return undefined;
    return this.#state.lastEventAt;
  }

  /** The node may still send something: it has neither left nor been lost, and is connected or went less than handoffAfterMs ago. */
  isNodeActive(index: number): boolean {
    const node = this.#state.nodes[index];
    return node !== undefined && machine.mayStillReport(node, this.#ctx());
  }

  /** What a retry run of another build would take over from this run (undefined before it is enqueued). */
  attemptSeed(): ReturnType<typeof attemptSeed> {
    return attemptSeed(this.#state);
  }

  nodeIndexOf(nodeId: string): number | undefined {
    return this.#state.byNodeId.get(nodeId)?.index;
  }

  refuseJoin(payload: JoinPayload): string | undefined {
    return machine.refuseJoin(this.#state, payload, this.#settings);
  }

  /**
   * A channel joins. `reply` is called with the reply (or a refusal) before
   * any push the join causes, so a node always hears its join first.
   */
  join(
    payload: JoinPayload,
    link: NodeLink,
    reply: (result: { member: Member; joined: Joined } | { refused: string }) => void,
    findEarlier?: (buildIds: readonly string[]) => Promise<machine.EarlierAttempt>,
    readQuarantine?: () => Promise<Array<[string, string]>>,
  ): Promise<void> {
    let undo = (): void => undefined;
    /** The node's channel before this join (kept from the first decision if the batch is decided again). */
    let before: { link?: { generation: number; link: NodeLink } } | undefined;
    let earlier: machine.EarlierAttempt | undefined;
    let quarantine: Array<[string, string]> | undefined;
    return this.#enqueue({
      // What a retried job takes over is read before the lock (the attempt event carries it):
      // a retry run of another build, that build's run; the same build again, the quarantine as it is now.
      prepare: async () => {
        const named = payload.retry_run?.mode === 'failed' ? (payload.retry_run.earlier ?? []) : [];
        if (named.length > 0 && findEarlier !== undefined && !isEnqueued(this.#state) && this.#state.retryOf === undefined) earlier = await findEarlier(named);
        // Whether the run finished is known only after the lock (another server may have finished it): read for every retried job.
        if (payload.retry_run !== undefined && payload.retry_run.again !== false && readQuarantine !== undefined) quarantine = await readQuarantine().catch(() => undefined);
      },
      decide: (tr, held) => {
        const refused = machine.refuseJoin(tr.state, payload, this.#settings);
        if (refused !== undefined) return () => reply({ refused });
        const result = machine.join(tr, payload, earlier, quarantine);
        const { index, generation } = result.member;
        // Deqs held for the node's old channel can no longer be answered on it.
        held.takeNode(index);
        // Linked at once, so work handed out later in this batch reaches the node too.
        before ??= { link: this.#links.get(index) };
        const previous = before.link;
        this.#links.set(index, { generation, link });
        undo = () => {
          if (this.#links.get(index)?.link !== link) return;
          if (previous === undefined) this.#links.delete(index);
          else this.#links.set(index, previous);
        };
        return () => {
          if (previous !== undefined && previous.link !== link) previous.link.supersede();
          log('%s: node %d joined%s', this.label, index, result.joined.leases ? ' again' : '');
          reply(result);
        };
      },
      fail: reason => {
        undo();
        reply({ refused: reason ?? Refusals.internal });
      },
    });
  }

  enq(member: Member, payload: unknown, reply: Respond): Promise<void> {
    let history = new Map<string, number>();
    let known = new Map<string, KnownTest[]>();
    let nodes: number | undefined;
    return this.#enqueue({
      // The history is read before the lock: the enq event carries what it decided from it.
      prepare: async () => {
        const tests = (payload as { tests?: unknown } | null)?.tests;
        if (tests === null || typeof tests !== 'object' || isEnqueued(this.#state)) return;
        const ids = Object.keys(tests);
        [history, known, nodes] = await Promise.all([
          this.#stores.history.durations(this.identity, ids),
          this.#stores.history.knownTests(this.identity, ids),
          this.#stores.history.nodes(this.identity),
        ]);
      },
      decide: tr => {
        const answer = machine.enq(tr, member, payload, { durations: (entries: EntryMap) => expectedDurations(entries, id => history.get(id)), tests: known, nodes });
        machine.afterEnq(tr);
        if (tr.events.some(e => e.t === 'enq')) log('%s: %d files enqueued by node %d', this.label, Object.keys(tr.state.enqueued ?? {}).length, member.index);
        return () => reply(answer);
      },
      fail: reason => reply(failure(reason)),
    });
  }

  deq(member: Member, payload: unknown, reply: Respond): Promise<void> {
    return this.#enqueue({
      decide: (tr, held) => {
        const answer = machine.deq(tr, member, payload);
        if (answer.answer !== undefined) return () => reply(answer.answer!);
        // Whenever this deq is answered, after the hold, it says which failures were not final.
        held.add({ member, respond: r => reply(withRetry(r, answer.retried)) });
        return () => undefined;
      },
      fail: reason => reply(failure(reason)),
    });
  }

  leave(member: Member, payload: unknown, reply: Respond): Promise<void> {
    return this.#enqueue({
      decide: (tr, held) => {
        const answer = machine.leave(tr, member, payload);
        // A held deq of a leaving node would keep its client's push timer alive.
        const waiting = answer.kind === 'ok' ? held.takeNode(member.index) : [];
        return () => {
          for (const h of waiting) h.respond(work([]));
          reply(answer);
        };
      },
      fail: reason => reply(failure(reason)),
    });
  }

  running(member: Member, payload: unknown, reply: Respond): Promise<void> {
    return this.#enqueue({ decide: tr => ((answer: Answer) => () => reply(answer))(machine.running(tr, member, payload)), fail: reason => reply(failure(reason)) });
  }

  /** Stops the run now (its key asked, through the API): nodes drop what they hold, and are told it is done. Resolves once decided. */
  cancel(): Promise<void> {
    return this.#enqueue({ decide: tr => (machine.stopRun(tr, 'cancelled'), () => undefined) });
  }

  /** Causes nothing, so it is answered from the state as it is, without the run's lock. */
  checkFiles(member: Member, payload: unknown, reply: Respond): void {
    reply(machine.checkFiles(this.#state, member, payload, this.#ctx()));
  }

  /** The channel is gone (socket closed, phx_leave, a newer join): the node's files wait for its grace. */
  detach(member: Member): void {
    if (this.#links.get(member.index)?.generation === member.generation) this.#links.delete(member.index);
    this.#held = this.#held.filter(h => h.member !== member && !(h.member.index === member.index && h.member.generation === member.generation));
    void this.#enqueue({ decide: tr => (machine.detach(tr, member), () => undefined) });
  }

  /** Decides what time has done: lost nodes, expired leases (only when the state says something may be due). */
  sweep(): void {
    const ctx = this.#ctx();
    if (machine.isSweepDue(this.#state, ctx)) void this.#enqueue({ decide: tr => (machine.sweep(tr), () => undefined) });
    // A node gone long enough, or a file running long past its time: idle nodes here may take copies.
    else if (this.#held.length > 0 && !this.#batcher.isBusy && machine.hasBackupWork(this.#state, ctx)) void this.#enqueue({ decide: (tr, held) => this.#dispatch(tr, held) });
    else if (this.#stores.runs.shared && this.#links.size > 0 && !this.isFinished && !this.#batcher.isBusy) void this.#poll(this.#stores.runs);
  }

  /** A shared store's notice of another server's commit can be lost (a Redis reconnect): nodes here waiting on it would wait on. */
  async #poll(runs: SharedRunLog): Promise<void> {
    try {
      const version = await runs.version(this.runId);
      if (version > this.#state.version) void this.#enqueue({ decide: () => () => undefined });
    } catch (error) {
      log('%s: poll failed: %s', this.label, (error as Error).message);
    }
  }

  record(nodeIndex: number | null, query: Record<string, string>, message: Message): void {
    if (this.#settings.recordFrames && this.#frames.length < MAX_FRAMES) this.#frames.push({ nodeIndex, query, message });
  }

  /** Stops listening to the store; held deqs are dropped (their sockets are closing). */
  dispose(): void {
    this.#batcher.dispose();
    this.#unwatch();
    this.#held = [];
    this.#links.clear();
  }

  snapshot(keyIndex: number): RunSnapshot {
    const waiting = new Set(this.#held.map(h => h.member.index));
    return snapshotOf(this.#state, this.#ctx(), { keyIndex, waiting, frames: this.#settings.recordFrames ? [...this.#frames] : undefined });
  }

  #ctx(): machine.MachineContext {
    const { liveness } = this.#stores;
    return {
      now: Date.now(),
      settings: this.#settings,
      instance: liveness.instance,
      isAlive: instance => liveness.isAlive(instance),
      deadSince: instance => liveness.deadSince(instance),
    };
  }

  #enqueue(command: Command<HeldView>): Promise<void> {
    return this.#batcher.enqueue(command);
  }

  /**
   * After events (this server's and others'), for this server's channels:
   * a node told to enqueue is told; a newer channel of a node elsewhere
   * closes this one; a finished run answers every held deq.
   */
  #react(remote: readonly RunEvent[], committedHere: readonly RunEvent[]): void {
    const events = [...remote, ...committedHere];
    if (events.length === 0) return;
    this.#hooks.onEvents(this, events);
    const state = this.#state;
    for (const event of events) {
      if (event.t === 'cancel' && state.nodes[event.node]?.acceptsCancel === true) {
        this.#links.get(event.node)?.link.push(Events.cancel, { tests: event.ids });
      }
      if (event.t === 'enqRequest' && event.node >= 0 && !isEnqueued(state)) {
        log('%s: asking node %d to enqueue', this.label, event.node);
        this.#links.get(event.node)?.link.push(Events.enqRequest, {});
      }
      if (event.t === 'attach' && event.instance !== this.#stores.liveness.instance) {
        // The node joined again on another server: its channel here is stale.
        const local = this.#links.get(event.node);
        if (local !== undefined && local.generation < state.nodes[event.node]!.generation) {
          this.#links.delete(event.node);
          this.#held = this.#held.filter(h => h.member.index !== event.node);
          local.link.supersede();
        }
      }
    }
    if (events.some(e => e.t === 'finish')) {
      log('%s: finished (%d files)', this.label, state.results.size);
      const summary = summaryOf(state);
      const held = this.#held;
      this.#held = [];
      for (const { respond } of held) respond(work([], summary));
      this.#hooks.onFinish(this, committedHere.some(e => e.t === 'finish'));
    }
  }

  /** Answers held deqs first, then asks idle connected nodes here to come for the rest. */
  #dispatch(tr: machine.Transition, held: HeldView): () => void {
    if (isFinished(tr.state) || (tr.state.queue.length === 0 && !machine.hasBackupWork(tr.state, tr.ctx))) return () => undefined;
    const answers: Array<[Held, Answer]> = [];
    for (const h of held.all()) {
      if (machine.current(tr.state, h.member, tr.ctx) === undefined) {
        held.take(h);
        continue;
      }
      const answer = machine.serveHeld(tr, h.member);
      if (answer === undefined) continue;
      held.take(h);
      answers.push([h, answer]);
    }
    const pushes: NodeLink[] = [];
    for (const [index, { generation, link }] of this.#links) {
      const node = tr.state.nodes[index];
      // A node holding files comes back with a deq on its own; one with a deq held is waiting.
      if (node === undefined || node.generation !== generation || !machine.isAvailable(node, tr.ctx)) continue;
      if (held.isWaiting(index) || tr.state.leases.hasAny(index) || !machine.hasWorkFor(tr.state, node, tr.ctx)) continue;
      pushes.push(link);
    }
    return () => {
      for (const [h, answer] of answers) h.respond(answer);
      for (const link of pushes) link.push(Events.deqRequest, {});
    };
  }
}
