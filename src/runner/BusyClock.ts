/**
 * Where a node's worker time goes: when its first file started, and the
 * time workers spent running files, summed over workers (nodeTiming turns
 * that into start-up, busy and idle time).
 */
export class BusyClock {
  #firstStartAt: number | undefined;
  #busyMs = 0;

  /** A file starts now; call the function returned when it ends. */
  start(): () => void {
    const started = Date.now();
    this.#firstStartAt ??= started;
    return () => {
      this.#busyMs += Date.now() - started;
    };
  }

  get timing(): { readonly firstStartAt: number | undefined; readonly busyMs: number } {
    return { firstStartAt: this.#firstStartAt, busyMs: this.#busyMs };
  }
}
