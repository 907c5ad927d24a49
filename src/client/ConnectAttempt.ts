import type { FastCiError } from '../errors';
import type { JoinResponse } from '../protocol/types';

/**
 * The outcome of `connect()`, decided once: the first join reply, a
 * refusal, or the deadline, whichever comes first. Later calls do nothing;
 * what happens after that is the connected client's to handle.
 */
export class ConnectAttempt {
  readonly #resolve: (response: JoinResponse) => void;
  readonly #reject: (error: FastCiError) => void;
  readonly #deadline: NodeJS.Timeout;
  #isSettled = false;
  #lastError = 'no answer';

  /** `timedOut` makes the deadline's error from the last socket error noted (or "no answer"). */
  constructor(
    timeoutMs: number,
    timedOut: (lastError: string) => FastCiError,
    resolve: (response: JoinResponse) => void,
    reject: (error: FastCiError) => void,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#deadline = setTimeout(() => this.reject(timedOut(this.#lastError)), timeoutMs);
  }

  get isSettled(): boolean {
    return this.#isSettled;
  }

  /** The latest socket error, for the deadline's message. */
  noteError(description: string): void {
    this.#lastError = description;
  }

  resolve(response: JoinResponse): void {
    if (this.#settle()) this.#resolve(response);
  }

  reject(error: FastCiError): void {
    if (this.#settle()) this.#reject(error);
  }

  #settle(): boolean {
    if (this.#isSettled) return false;
    this.#isSettled = true;
    clearTimeout(this.#deadline);
    return true;
  }
}
