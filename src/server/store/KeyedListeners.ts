/** Listeners by key (a run id): add one, get its removal; call a key's. */
export class KeyedListeners {
  readonly #byKey = new Map<string, Set<() => void>>();

  /** Returns the function that removes it. */
  add(key: string, listener: () => void): () => void {
    let set = this.#byKey.get(key);
    if (set === undefined) this.#byKey.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#byKey.delete(key);
    };
  }

  emit(key: string): void {
    for (const listener of [...(this.#byKey.get(key) ?? [])]) listener();
  }
}
