/**
 * Jest's `bail`: counts the failed tests handed to Jest, and says when a
 * result will make Jest bail. Outside watch mode Jest exits the process
 * from inside the listener of that result, so whatever must happen before
 * (the hook) has to happen before the result is handed over.
 */
export class BailCounter {
  /** 0: off. */
  readonly #limit: number;
  #failedTests = 0;
  #hook: (() => Promise<void>) | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The hook to await before the result that makes Jest bail goes to it; called once at most. */
  onBail(hook: () => Promise<void>): void {
    this.#hook = hook;
  }

  /**
   * Counts a result's failed tests, before the result goes to Jest. Returns
   * the hook when this result makes Jest bail (and a hook is set); await it
   * before handing the result over.
   */
  count(failing: number): (() => Promise<void>) | undefined {
    let hook: (() => Promise<void>) | undefined;
    if (failing > 0 && this.#limit > 0 && this.#failedTests + failing >= this.#limit) {
      hook = this.#hook;
      this.#hook = undefined;
    }
    this.#failedTests += failing;
    return hook;
  }
}
