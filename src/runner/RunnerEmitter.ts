import type { TestEvents } from '@jest/test-result';

type Listener<T> = (args: T) => unknown;

/** Anything that emits Jest's runner events: Jest's own runner, here. */
export interface TestEventSource {
  on<Name extends keyof TestEvents>(name: Name, listener: (args: TestEvents[Name]) => void | Promise<void>): () => void;
}

/** Every runner event Jest listens to. */
export const ALL_TEST_EVENTS: ReadonlyArray<keyof TestEvents> = [
  'test-file-start',
  'test-file-success',
  'test-file-failure',
  'test-case-start',
  'test-case-result',
];

/**
 * The runner's event emitter. Listeners run in order and are awaited, as
 * Jest's own runner does (its listeners call the reporters).
 */
export class RunnerEmitter {
  readonly #listeners = new Map<keyof TestEvents, Set<Listener<never>>>();

  on<Name extends keyof TestEvents>(name: Name, listener: Listener<TestEvents[Name]>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  /** Re-emits `names` from `source` (awaited, as its own listeners are); returns one unsubscribe for all. */
  forwardFrom(source: TestEventSource, names: ReadonlyArray<keyof TestEvents>): () => void {
    const offs = names.map(name => source.on(name, args => this.emit(name, args)));
    return () => {
      for (const off of offs) off();
    };
  }

  async emit<Name extends keyof TestEvents>(name: Name, args: TestEvents[Name]): Promise<void> {
    for (const listener of [...(this.#listeners.get(name) ?? [])]) {
      await (listener as Listener<TestEvents[Name]>)(args);
    }
  }
}
