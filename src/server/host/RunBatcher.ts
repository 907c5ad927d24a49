/**
 * One run's requests, decided in batches under the run's lock: one lock,
 * one catch-up with what other servers appended, every transition of the
 * batch decided in turn, one commit; then each request's effect (its
 * answer), then the host's reactions. A batch whose lock was lost (another
 * server took too long a view of it) is decided again on the reloaded
 * state; a batch the store failed tells each of its requests. The state
 * this batcher keeps changes only here, through `apply`.
 */
import debug from 'debug';
import * as machine from '../run/runMachine';
import type { RunEvent } from '../run/runEvents';
import { apply, createRunState, type RunState } from '../run/runState';
import type { RunLock, RunLog } from '../store/types';

const log = debug('jest-fast-ci:server:run');

export interface Command<V> {
  /** Reads what the decision needs from the store (before the lock; commands are prepared in order). */
  readonly prepare?: () => Promise<void>;
  /** Decides the transition; returns what to do once its events are committed. */
  readonly decide: (tr: machine.Transition, view: V) => () => void;
  /** The store failed before the events were committed: nothing was decided; say so (with `reason`, or "internal server error"). */
  readonly fail?: (reason?: string) => void;
  /** Called once the command's batch is done (answered, held, or failed). */
  settled?: () => void;
}

/** What the host lends each batch. */
export interface BatchHooks<V> {
  ctx(): machine.MachineContext;
  /** A fresh view of what the host holds, for one attempt at a batch. */
  begin(): V;
  /** Work may have moved: hand it out in the same batch, before the next request is decided. */
  dispatch(tr: machine.Transition, view: V): () => void;
  /** The batch is committed: the host keeps the view's decisions (before the effects run). */
  keep(view: V): void;
  /** After the effects: the events of other servers seen, and this batch's. */
  react(remote: readonly RunEvent[], committed: readonly RunEvent[]): void;
  /** How long the store's lock and commit took, and when the store failed a batch (/metrics). */
  readonly timings?: StoreTimings;
}

/** The store's side of a batch, timed (seconds). */
export interface StoreTimings {
  lock(seconds: number): void;
  commit(seconds: number): void;
  failed(): void;
}

/** The run's log is not in the store any more (it expired, or the store lost its data). */
class RunGoneError extends Error {}

/** Events after which queued files may go to a node that could not have them before. */
const WORK_MAY_MOVE: ReadonlySet<RunEvent['t']> = new Set(['enq', 'requeue', 'retry', 'leave', 'lost', 'detach']);

export class RunBatcher<V> {
  readonly #runId: string;
  readonly #label: string;
  readonly #log: RunLog;
  readonly #hooks: BatchHooks<V>;
  #state: RunState;
  readonly #queue: Array<Command<V>> = [];
  #draining = false;
  #disposed = false;
  /** The state has events a failed commit never stored: reload before deciding anything. */
  #stale = false;
  /** Events of the run known to be in the store. */
  #stored: number;

  constructor(runId: string, events: readonly RunEvent[], runLog: RunLog, hooks: BatchHooks<V>) {
    const [open, ...rest] = events;
    if (open?.t !== 'open') throw new Error(`run ${runId} has no open event`);
    this.#state = createRunState(open);
    for (const event of rest) apply(this.#state, event);
    this.#stored = this.#state.version;
    this.#runId = runId;
    this.#label = `${open.runKey}-${open.buildId}`;
    this.#log = runLog;
    this.#hooks = hooks;
  }

  get state(): RunState {
    return this.#state;
  }

  /** A batch is being decided or waits. */
  get isBusy(): boolean {
    return this.#draining;
  }

  /** Queues a command; resolves once its batch is done (its answer sent, or its deq held). */
  enqueue(command: Command<V>): Promise<void> {
    if (this.#disposed) {
      command.fail?.();
      return Promise.resolve();
    }
    const settled = new Promise<void>(resolve => (command.settled = resolve));
    this.#queue.push(command);
    if (!this.#draining) void this.#drain();
    return settled;
  }

  /** Requests still waiting for their turn are answered: the run is gone here. */
  dispose(): void {
    this.#disposed = true;
    for (const command of this.#queue.splice(0)) {
      command.fail?.();
      command.settled?.();
    }
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    while (this.#queue.length > 0 && !this.#disposed) {
      const batch = this.#queue.splice(0);
      try {
        await this.#decide(batch);
      } catch (error) {
        // The store failed (Redis unreachable): nothing of the batch was committed, so the state is reloaded and each request is told.
        log('%s: %s', this.#label, (error as Error).stack ?? error);
        this.#hooks.timings?.failed();
        this.#stale = true;
        const reason = error instanceof RunGoneError ? error.message : undefined;
        for (const command of batch) command.fail?.(reason);
      }
      for (const command of batch) command.settled?.();
    }
    this.#draining = false;
  }

  async #decide(batch: Array<Command<V>>): Promise<void> {
    for (const command of batch) await command.prepare?.();
    // Other servers' events seen while deciding, reacted to with this batch's (kept across a retry).
    const remote: RunEvent[] = [];
    for (;;) {
      // Events of a batch that failed to commit were applied: start again from the store's.
      if (this.#stale) remote.push(...(await this.#reload()));
      const timings = this.#hooks.timings;
      let started = performance.now();
      const lock = await this.#log.lock(this.#runId);
      timings?.lock((performance.now() - started) / 1000);
      remote.push(...(await this.#catchUp(lock)));
      const view = this.#hooks.begin();
      const events: RunEvent[] = [];
      const effects: Array<() => void> = [];
      const step = (decide: Command<V>['decide'], fail?: () => void): boolean => {
        const tr = new machine.Transition(this.#state, this.#hooks.ctx());
        try {
          effects.push(decide(tr, view));
        } catch (error) {
          // A bug must cost one reply, never the run: its events are kept (already applied).
          log('%s: a transition failed: %s', this.#label, (error as Error).stack ?? error);
          effects.push(() => fail?.());
        }
        events.push(...tr.events);
        return tr.events.some(e => WORK_MAY_MOVE.has(e.t));
      };
      const dispatch: Command<V>['decide'] = (tr, v) => this.#hooks.dispatch(tr, v);
      if (remote.some(e => WORK_MAY_MOVE.has(e.t))) step(dispatch);
      for (const command of batch) if (step(command.decide, command.fail)) step(dispatch);
      started = performance.now();
      const committed = await this.#log.commit(this.#runId, lock, events);
      timings?.commit((performance.now() - started) / 1000);
      if (!committed) {
        log('%s: lost the lock; deciding the batch again', this.#label);
        this.#stale = true;
        continue;
      }
      this.#stored = this.#state.version;
      this.#hooks.keep(view);
      for (const effect of effects) {
        try {
          effect();
        } catch (error) {
          log('%s: %s', this.#label, (error as Error).stack ?? error);
        }
      }
      this.#hooks.react(remote, events);
      return;
    }
  }

  /** Applies what other servers appended since this state; returns those events. */
  async #catchUp(lock: RunLock): Promise<RunEvent[]> {
    if (lock.version <= this.#state.version) return [];
    const events = (await this.#log.events(this.#runId, this.#state.version)) ?? [];
    for (const event of events) apply(this.#state, event);
    this.#stored = this.#state.version;
    return events;
  }

  /** Rebuilds the state from the store's events; returns those this host had not seen stored. */
  async #reload(): Promise<RunEvent[]> {
    const events = (await this.#log.events(this.#runId, 0)) ?? [];
    const [open, ...rest] = events;
    if (open?.t !== 'open') {
      throw new RunGoneError(`run ${this.#label} is gone from the server's store (it expired, or the store lost its data: give Redis an append-only file); start the run again with a new build id`);
    }
    const state = createRunState(open);
    for (const event of rest) apply(state, event);
    this.#state = state;
    this.#stale = false;
    const unseen = events.slice(this.#stored);
    this.#stored = events.length;
    return unseen;
  }
}
