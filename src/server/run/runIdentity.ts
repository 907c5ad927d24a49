/** Which run: a key's hash, a run key and a build id, and the run's name in a store. */
import type { RunEvent } from './runEvents';
import type { RunMeta } from '../types';

export interface RunIdentity {
  readonly keyHash: string;
  readonly runKey: string;
  readonly buildId: string;
}

/** The run's name in a store: key, run key and build id. */
export function runId({ keyHash, runKey, buildId }: RunIdentity): string {
  return JSON.stringify([keyHash, runKey, buildId]);
}

/** What a new run's `open` event says: who, and the run key's quarantine as the run opens. */
export function openEvent(identity: RunIdentity, meta: RunMeta, at: number, quarantine: Array<[string, string]> = []): Extract<RunEvent, { t: 'open' }> {
  return { t: 'open', keyHash: identity.keyHash, runKey: identity.runKey, buildId: identity.buildId, meta, ...(quarantine.length > 0 ? { quarantine } : {}), at };
}
