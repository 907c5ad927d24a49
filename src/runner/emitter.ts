import type { TestEvents } from '@jest/test-result';

type Listener<T> = (args: T) => unknown;

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

  async emit<Name extends keyof TestEvents>(name: Name, args: TestEvents[Name]): Promise<void> {
    for (const listener of [...(this.#listeners.get(name) ?? [])]) {
      await (listener as Listener<TestEvents[Name]>)(args);
    }
  }
}
