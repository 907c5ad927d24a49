/**
 * A typed in-process event bus. A throwing listener never prevents the
 * others from running; its error goes to `onError`.
 */
/** A listener may be async; its return value is otherwise ignored. */
export type Listener<T> = (payload: T) => unknown;

export interface EventBusOptions {
  onError?: (error: unknown, event: string) => void;
}

export class EventBus<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Array<{ fn: Listener<never>; once: boolean }>>();

  constructor(private readonly options: EventBusOptions = {}) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<E extends keyof Events>(event: E, fn: Listener<Events[E]>): () => void {
    return this.add(event, fn, false);
  }

  once<E extends keyof Events>(event: E, fn: Listener<Events[E]>): () => void {
    return this.add(event, fn, true);
  }

  off<E extends keyof Events>(event: E, fn: Listener<Events[E]>): boolean {
    const list = this.listeners.get(event);
    const i = list?.findIndex((l) => l.fn === fn) ?? -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  /** Calls listeners synchronously, in subscription order; returns how many ran. */
  emit<E extends keyof Events>(event: E, payload: Events[E]): number {
    const list = this.take(event);
    for (const l of list) {
      try {
        const result = (l.fn as Listener<Events[E]>)(payload);
        if (result instanceof Promise) result.catch((e) => this.report(e, event));
      } catch (e) {
        this.report(e, event);
      }
    }
    return list.length;
  }

  /**
   * Awaits every listener. `parallel` runs them concurrently; otherwise one
   * after another. Resolves with the errors that listeners threw.
   */
  async emitAsync<E extends keyof Events>(
    event: E,
    payload: Events[E],
    mode: 'serial' | 'parallel' = 'serial',
  ): Promise<unknown[]> {
    const list = this.take(event);
    const errors: unknown[] = [];
    const run = async (l: { fn: Listener<never> }) => {
      try {
        await (l.fn as Listener<Events[E]>)(payload);
      } catch (e) {
        errors.push(e);
        this.report(e, event);
      }
    };
    if (mode === 'parallel') await Promise.all(list.map(run));
    else for (const l of list) await run(l);
    return errors;
  }

  /** Resolves with the next payload of `event` (or rejects after timeoutMs). */
  waitFor<E extends keyof Events>(event: E, timeoutMs?: number): Promise<Events[E]> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const off = this.once(event, (payload) => {
        if (timer) clearTimeout(timer);
        resolve(payload);
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          off();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${String(event)}`));
        }, timeoutMs);
      }
    });
  }

  private add<E extends keyof Events>(event: E, fn: Listener<Events[E]>, once: boolean): () => void {
    const entry = { fn: fn as Listener<never>, once };
    const list = this.listeners.get(event) ?? [];
    list.push(entry);
    this.listeners.set(event, list);
    return () => {
      const current = this.listeners.get(event);
      const i = current?.indexOf(entry) ?? -1;
      if (current && i >= 0) current.splice(i, 1);
    };
  }

  /** Snapshot of the listeners for one emit; once-listeners are removed. */
  private take(event: keyof Events) {
    const list = this.listeners.get(event) ?? [];
    const snapshot = [...list];
    this.listeners.set(
      event,
      list.filter((l) => !l.once),
    );
    return snapshot;
  }

  private report(error: unknown, event: keyof Events): void {
    this.options.onError?.(error, String(event));
  }
}
