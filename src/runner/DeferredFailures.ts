import type { Test } from '@jest/test-result';
import type { Outcome } from './types';
import { failureHead } from './failureHead';

type Announce = (id: string, test: Test, outcome: Outcome) => Promise<void>;

/**
 * Failed files whose result waits for the server's word (retries on): the
 * server may run a failed file again on another node, and a failure that
 * is not final must not fail this node. One the server retries is told
 * here, not to Jest; a final one goes to Jest (`announce`).
 */
export class DeferredFailures {
  #isOn: boolean;
  readonly #held = new Map<string, { test: Test; outcome: Outcome }>();
  readonly #write: (text: string) => void;
  readonly #announce: Announce;

  /** `isOn`: failures are held at all; `write`: where a retried failure is told. */
  constructor(isOn: boolean, write: (text: string) => void, announce: Announce) {
    this.#isOn = isOn;
    this.#write = write;
    this.#announce = announce;
  }

  /** Holds a failed file's outcome; false when failures are not held, and this one goes to Jest now. */
  hold(id: string, test: Test, outcome: Outcome): boolean {
    if (!this.#isOn) return false;
    this.#held.set(id, { test, outcome });
    return true;
  }

  has(id: string): boolean {
    return this.#held.has(id);
  }

  /** No server will say whether a failure is final any more: from now on, failures go to Jest at once. */
  stop(): void {
    this.#isOn = false;
  }

  /** The server has answered the `deq` that carried `sent`: each held failure among them is retried elsewhere or final. */
  async settle(sent: readonly string[], retried: ReadonlySet<string>): Promise<void> {
    for (const id of sent) {
      const held = this.#held.get(id);
      if (held === undefined) continue;
      this.#held.delete(id);
      if (retried.has(id)) this.#write(retriedNotice(id, held.outcome));
      else await this.#announce(id, held.test, held.outcome);
    }
  }

  /** Hands every held failure to Jest (the run is ending without the server's word). */
  async release(): Promise<void> {
    const held = [...this.#held];
    this.#held.clear();
    for (const [id, { test, outcome }] of held) await this.#announce(id, test, outcome);
  }
}

/**
 * What a node prints for a failure that will be retried elsewhere: not
 * hidden, but short (each failing test and its message's first line). The
 * whole text is printed where it counts: by the node whose attempt is the
 * file's result, if it fails there too; the run's page keeps this attempt.
 */
function retriedNotice(id: string, outcome: Outcome): string {
  // The worker's raw result: Jest formats `failureMessage` only later, so build it from the cases.
  const failures = outcome.ok
    ? outcome.result.testExecError != null
      ? [`the file failed to run: ${failureHead(outcome.result.testExecError.message)}`]
      : outcome.result.testResults.filter(t => t.status === 'failed').map(t => `${t.fullName}: ${failureHead(t.failureMessages[0] ?? '')}`)
    : [`the file failed to run: ${failureHead(outcome.error.message)}`];
  const shown = failures.slice(0, MAX_NOTICE_TESTS).map(line => `  ● ${line}`);
  if (failures.length > shown.length) shown.push(`  … and ${failures.length - shown.length} more`);
  return `\njest-fast-ci: ${id} failed on this node and will run again on another node (FAST_CI_RETRY); it is not counted here:\n${shown.join('\n')}\n\n`;
}

/** Failing tests a retry notice names. */
const MAX_NOTICE_TESTS = 5;
