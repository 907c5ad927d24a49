/**
 * Every Redis key the store uses, named in one place (ci-queue's lesson:
 * keys built by concatenation all over the code drift apart). All start
 * with the deployment's prefix; a run's keys share its hash tag, so they
 * land in one cluster slot.
 */
import { createHash } from 'node:crypto';
import type { RunIdentity } from '../run/runIdentity';

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface RunKeys {
  readonly events: string;
  readonly lock: string;
  readonly reports: string;
  readonly reportBytes: string;
  /** Bytes of reports each node sent: a hash, field the node index. */
  readonly reportNodeBytes: string;
}

export interface HistoryKeys {
  /** id → the file's durations (a JSON list, oldest first). */
  readonly history: string;
  /** id → the slow file's tests. */
  readonly tests: string;
  /** The key's histories, by when each was last used. */
  readonly histories: string;
  /** This history's member in `histories`. */
  readonly runKeyTag: string;
  /** `history` is this prefix and runKeyTag (so the least used ones can be dropped by member). */
  readonly historyPrefix: string;
}

export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** The channel on which servers say they appended to a run. */
  get channel(): string {
    return `${this.prefix}events`;
  }

  /** Every server's last heartbeat. */
  get instances(): string {
    return `${this.prefix}instances`;
  }

  get keySecret(): string {
    return `${this.prefix}key-secret`;
  }

  /** The run's hash tag (also its member in the key's set of unfinished runs). */
  runTag(runId: string): string {
    return sha(runId).slice(0, 40);
  }

  run(runId: string): RunKeys {
    const base = `${this.prefix}run:{${this.runTag(runId)}}`;
    return { events: `${base}:events`, lock: `${base}:lock`, reports: `${base}:reports`, reportBytes: `${base}:report-bytes`, reportNodeBytes: `${base}:report-node-bytes` };
  }

  /** The key's unfinished runs, scored by when each expires. */
  unfinished(keyHash: string): string {
    return `${this.prefix}unfinished:${sha(keyHash).slice(0, 32)}`;
  }

  history(identity: RunIdentity): HistoryKeys {
    const keyTag = sha(identity.keyHash).slice(0, 32);
    const runKeyTag = sha(JSON.stringify([identity.keyHash, identity.runKey])).slice(0, 32);
    const historyPrefix = `${this.prefix}history:${keyTag}:`;
    const history = historyPrefix + runKeyTag;
    return { history, tests: `${history}:tests`, histories: `${this.prefix}histories:${keyTag}`, runKeyTag, historyPrefix };
  }

  /** The quarantine of a key and run key (one JSON value). */
  quarantine(identity: RunIdentity): string {
    const keyTag = sha(identity.keyHash).slice(0, 32);
    const runKeyTag = sha(JSON.stringify([identity.keyHash, identity.runKey])).slice(0, 32);
    return `${this.prefix}quarantine:${keyTag}:${runKeyTag}`;
  }

  /** Each test's outcomes of a key and run key (a hash: test → outcomes). */
  testHistory(identity: RunIdentity): string {
    const keyTag = sha(identity.keyHash).slice(0, 32);
    const runKeyTag = sha(JSON.stringify([identity.keyHash, identity.runKey])).slice(0, 32);
    return `${this.prefix}test-history:${keyTag}:${runKeyTag}`;
  }

  /** The runs a test history's outcomes name (testHistory.ts). */
  testRuns(identity: RunIdentity): string {
    return `${this.testHistory(identity)}:runs`;
  }
}
