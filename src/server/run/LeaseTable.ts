/**
 * Which node holds which file, and since when. A lease expires by its
 * timestamp (the sweep asks for leases older than the lease timeout), so
 * nothing needs a timer, nor re-arming after a restart. A file may also be
 * held as a backup copy by one more node (its holder is gone, or slow):
 * whichever result comes first counts.
 */
export interface Lease {
  readonly node: number;
  /** When it was handed out. */
  readonly at: number;
}

export class LeaseTable {
  readonly #byId = new Map<string, Lease>();
  /**
   * The same leases by node. Every deq asks whether its node holds files,
   * and a dispatch asks it of every node: with 200 nodes and 10,000 files a
   * scan of all leases per question made the deq tail latency (p99) 50-125 ms.
   */
  readonly #byNode = new Map<number, Set<string>>();
  /** Backup copies: test id -> node -> when it was handed out. */
  readonly #copies = new Map<string, Map<number, number>>();

  get size(): number {
    return this.#byId.size;
  }

  lease(ids: readonly string[], node: number, at: number): void {
    for (const id of ids) {
      this.release(id);
      this.#byId.set(id, { node, at });
      this.#hold(node, id);
    }
  }

  /** Hands `node` a backup copy of files another node holds. */
  copy(ids: readonly string[], node: number, at: number): void {
    for (const id of ids) {
      if (!this.#byId.has(id) || this.#byId.get(id)!.node === node) continue;
      let copies = this.#copies.get(id);
      if (copies === undefined) this.#copies.set(id, (copies = new Map()));
      copies.set(node, at);
      this.#hold(node, id);
    }
  }

  /** The copy `node` holds becomes the file's lease (its holder is gone); other copies stay. */
  promote(id: string, node: number): void {
    const at = this.#copies.get(id)?.get(node);
    if (at === undefined) return;
    const others = new Map(this.#copies.get(id));
    others.delete(node);
    this.release(id);
    this.#byId.set(id, { node, at });
    this.#hold(node, id);
    if (others.size > 0) this.#copies.set(id, others);
    for (const other of others.keys()) this.#hold(other, id);
  }

  holder(id: string): number | undefined {
    return this.#byId.get(id)?.node;
  }

  /** Nodes holding a backup copy of the file. */
  copiesOf(id: string): number[] {
    return [...(this.#copies.get(id)?.keys() ?? [])];
  }

  /** `node` holds the file, as its lease or as a copy. */
  holds(id: string, node: number): boolean {
    return this.#byId.get(id)?.node === node || (this.#copies.get(id)?.has(node) ?? false);
  }

  /** The file is done (or back in the queue): its lease and its copies go. */
  release(id: string): void {
    const lease = this.#byId.get(id);
    if (lease !== undefined) {
      this.#byId.delete(id);
      this.#byNode.get(lease.node)?.delete(id);
    }
    for (const node of this.#copies.get(id)?.keys() ?? []) this.#byNode.get(node)?.delete(id);
    this.#copies.delete(id);
  }

  /** The node is gone: the copies it held go (the files' leases stay with their holders). */
  dropCopies(node: number): void {
    for (const id of this.heldBy(node)) {
      const copies = this.#copies.get(id);
      if (copies?.delete(node) !== true) continue;
      this.#byNode.get(node)?.delete(id);
      if (copies.size === 0) this.#copies.delete(id);
    }
  }

  /** Every lease, oldest first (copies not included). */
  entries(): IterableIterator<[string, Lease]> {
    return this.#byId.entries();
  }

  #hold(node: number, id: string): void {
    let held = this.#byNode.get(node);
    if (held === undefined) this.#byNode.set(node, (held = new Set()));
    held.add(id);
  }

  hasAny(node: number): boolean {
    return (this.#byNode.get(node)?.size ?? 0) > 0;
  }

  /** The ids `node` holds (leases and copies), in the order it was handed them. */
  heldBy(node: number): string[] {
    return [...(this.#byNode.get(node) ?? [])];
  }

  /** Leases handed out at or before `before`, oldest first. */
  olderThan(before: number): string[] {
    const old: string[] = [];
    for (const [id, lease] of this.#byId) if (lease.at <= before) old.push(id);
    return old;
  }

  clear(): void {
    this.#byId.clear();
    this.#byNode.clear();
    this.#copies.clear();
  }

  /** test id -> node index, with no prototype: `__proto__` is a key like any other. */
  toRecord(): Record<string, number> {
    const out: Record<string, number> = Object.create(null);
    for (const [id, lease] of this.#byId) out[id] = lease.node;
    return out;
  }
}
