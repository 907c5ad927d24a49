/** debounce and throttle for UI-ish callbacks (search-as-you-type, autosave). */

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  /** Runs a pending call now. */
  flush(): void;
  /** Drops a pending call. */
  cancel(): void;
  readonly pending: boolean;
}

/** Calls fn once calls have stopped for `waitMs`, with the last arguments. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, waitMs: number): Debounced<A> {
  let timer: NodeJS.Timeout | undefined;
  let lastArgs: A | undefined;
  const run = () => {
    timer = undefined;
    const args = lastArgs!;
    lastArgs = undefined;
    fn(...args);
  };
  const debounced = ((...args: A) => {
    lastArgs = args;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, waitMs);
  }) as Debounced<A>;
  debounced.flush = () => {
    if (timer) {
      clearTimeout(timer);
      run();
    }
  };
  debounced.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    lastArgs = undefined;
  };
  Object.defineProperty(debounced, 'pending', { get: () => timer !== undefined });
  return debounced;
}

/** Calls fn at most once per `intervalMs`: first call immediately, last call at the end. */
export function throttle<A extends unknown[]>(fn: (...args: A) => void, intervalMs: number): Debounced<A> {
  let last = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let trailing: A | undefined;
  const fire = (args: A) => {
    last = Date.now();
    fn(...args);
  };
  const throttled = ((...args: A) => {
    const since = Date.now() - last;
    if (since >= intervalMs && !timer) {
      fire(args);
      return;
    }
    trailing = args;
    if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        const t = trailing!;
        trailing = undefined;
        fire(t);
      }, Math.max(0, intervalMs - since));
    }
  }) as Debounced<A>;
  throttled.flush = () => {
    if (timer && trailing) {
      clearTimeout(timer);
      timer = undefined;
      const t = trailing;
      trailing = undefined;
      fire(t);
    }
  };
  throttled.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    trailing = undefined;
  };
  Object.defineProperty(throttled, 'pending', { get: () => timer !== undefined });
  return throttled;
}
