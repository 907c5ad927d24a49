/**
 * One transition of a run in progress, and what every transition is
 * decided with: the settings, the time, this server, which servers are
 * alive. Each event a transition decides is applied at once through
 * `emit` (so a later step of the same request sees the earlier ones); the
 * host persists the events and only then answers. Pure: no I/O, no timers.
 */
import type { EntryMap, KnownTest } from '../../protocol/types';
import type { RunEvent } from './runEvents';
import { apply, type RunState } from './runState';

export interface MachineSettings {
  readonly leaseTimeoutMs: number;
  readonly reconnectGraceMs: number;
  /** A gone node's files are copied to idle nodes this long after it went (before its grace ends). */
  readonly handoffAfterMs: number;
  /** A file running this much longer than twice its expected duration is copied to an idle node. */
  readonly stragglerSlackMs: number;
  readonly maxFilesPerRun: number;
  readonly maxNodesPerRun: number;
  readonly maxCrashesPerFile: number;
  /** A file is split into parts only when it is expected to take at least this long (a part repeats the file's start-up). */
  readonly splitMinSeconds: number;
}

/** What the server knows of a run's files before it enqueues them. */
export interface EnqHistory {
  /** Expected seconds of each file (the client's, else the history's, else the median). */
  durations(tests: EntryMap): Map<string, number>;
  /** The tests of files from an earlier run, with their seconds (the `parts` extension splits by them). */
  readonly tests: ReadonlyMap<string, readonly KnownTest[]>;
  /** How many nodes the last run of this key and run key had: parts are sized for them when no node total is sent. */
  readonly nodes?: number;
}

/** Who and when a transition is decided for. */
export interface MachineContext {
  readonly now: number;
  readonly settings: MachineSettings;
  /** This server's instance id: channels attached here are this server's to answer. */
  readonly instance: string;
  /** Whether a server instance is still up (its channels still count as connected). */
  isAlive(instance: string): boolean;
  /** Since when a dead instance is known to be gone (its channels' grace starts then). */
  deadSince(instance: string): number;
}

/** The channel a request came on: the node and the generation it joined as. */
export interface Member {
  readonly index: number;
  readonly generation: number;
}

/** One transition in progress: the events it has decided, each already applied to the state. */
export class Transition {
  readonly events: RunEvent[] = [];
  readonly state: RunState;
  readonly ctx: MachineContext;

  constructor(state: RunState, ctx: MachineContext) {
    this.state = state;
    this.ctx = ctx;
  }

  emit(event: RunEvent): void {
    apply(this.state, event);
    this.events.push(event);
  }

  warn(message: string): void {
    this.emit({ t: 'warn', message });
  }
}
