/**
 * The files not yet handed out, front first. Stored reversed so taking from
 * the front and putting back at the front are both O(batch), which matters
 * for runs of many thousands of files.
 */
export class WorkQueue {
  #reversed: string[] = [];

  get length(): number {
    return this.#reversed.length;
  }

  /** Replaces the content with `ids`, in order. */
  fill(ids: readonly string[]): void {
    this.#reversed = [...ids].reverse();
  }

  /**
   * Removes and returns up to `count` ids from the front; with `accept`, only
   * ids it accepts, the others keeping their places.
   */
  takeFront(count: number, accept?: (id: string) => boolean): string[] {
    if (accept === undefined) return this.#reversed.splice(Math.max(0, this.#reversed.length - count)).reverse();
    const taken: string[] = [];
    for (let i = this.#reversed.length - 1; i >= 0 && taken.length < count; i -= 1) {
      if (accept(this.#reversed[i]!)) taken.push(...this.#reversed.splice(i, 1));
    }
    return taken;
  }

  /** True when some queued id is accepted. */
  some(accept: (id: string) => boolean): boolean {
    return this.#reversed.some(accept);
  }

  /** Puts `ids` back at the front, keeping their order. */
  putFront(ids: readonly string[]): void {
    for (let i = ids.length - 1; i >= 0; i -= 1) this.#reversed.push(ids[i]);
  }

  toArray(): string[] {
    return [...this.#reversed].reverse();
  }
}
