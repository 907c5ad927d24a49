/**
 * Where a node's worker time goes: when its first file started and its
 * last ended, and the time workers spent running files, summed over workers (nodeTiming turns
 * that into start-up, busy and idle time).
 */
export class BusyClock {
  #firstStartAt: number | undefined;
  #lastEndAt: number | undefined;
  #busyMs = 0;

  /** A file starts now; call the function returned when it ends. */
  start(): () => void {
    const started = Date.now();
    this.#firstStartAt ??= started;
    return () => {
      this.#lastEndAt = Date.now();
      this.#busyMs += this.#lastEndAt - started;
    };
  }

  get timing(): { readonly firstStartAt: number | undefined; readonly lastEndAt: number | undefined; readonly busyMs: number } {
    return { firstStartAt: this.#firstStartAt, lastEndAt: this.#lastEndAt, busyMs: this.#busyMs };
  }
}
