/**
 * The files not yet handed out, front first. Stored reversed so taking from
 * the front and putting back at the front are both O(batch), which matters
 * for runs of many thousands of files; a set answers "is it queued" in O(1).
 */
export class WorkQueue {
  #reversed: string[] = [];
  readonly #members = new Set<string>();

  get length(): number {
    return this.#reversed.length;
  }

  has(id: string): boolean {
    return this.#members.has(id);
  }

  /** Replaces the content with `ids`, in order. */
  fill(ids: readonly string[]): void {
    this.#reversed = [...ids].reverse();
    this.#members.clear();
    for (const id of ids) this.#members.add(id);
  }

  /**
   * The first `count` ids (without removing them); with `accept`, only the
   * ids it accepts, the others keeping their places.
   */
  peekFront(count: number, accept?: (id: string) => boolean): string[] {
    const out: string[] = [];
    for (let i = this.#reversed.length - 1; i >= 0 && out.length < count; i -= 1) {
      const id = this.#reversed[i]!;
      if (accept === undefined || accept(id)) out.push(id);
    }
    return out;
  }

  /** True when some queued id is accepted. */
  some(accept: (id: string) => boolean): boolean {
    return this.#reversed.some(accept);
  }

  /** Takes these ids out, wherever they are (at the front when this server chose them: O(batch) then). */
  remove(ids: readonly string[]): void {
    const gone = ids.filter(id => this.#members.delete(id));
    if (gone.length === 0) return;
    const front = this.#reversed.slice(-gone.length).reverse();
    if (front.length === gone.length && front.every((id, i) => id === gone[i])) {
      this.#reversed.length -= gone.length;
      return;
    }
    const drop = new Set(gone);
    this.#reversed = this.#reversed.filter(id => !drop.has(id));
  }

  /** Puts `ids` at the front, keeping their order; ids already queued stay where they are. */
  putFront(ids: readonly string[]): void {
    for (let i = ids.length - 1; i >= 0; i -= 1) {
      const id = ids[i]!;
      if (this.#members.has(id)) continue;
      this.#members.add(id);
      this.#reversed.push(id);
    }
  }

  /** The queued ids, front first, without copying. */
  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = this.#reversed.length - 1; i >= 0; i -= 1) yield this.#reversed[i]!;
  }

  toArray(): string[] {
    return [...this.#reversed].reverse();
  }
}
