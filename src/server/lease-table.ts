/**
 * Which node holds which file. Each batch gets a fence number so an expiry
 * timer only takes back the lease it was set for, not a newer lease of the
 * same file.
 */
export class LeaseTable {
  #byId = new Map<string, { node: number; fence: number }>();
  #fence = 0;

  /** Leases `ids` to `node`; returns the batch's fence. */
  lease(ids: readonly string[], node: number): number {
    this.#fence += 1;
    for (const id of ids) this.#byId.set(id, { node, fence: this.#fence });
    return this.#fence;
  }

  holder(id: string): number | undefined {
    return this.#byId.get(id)?.node;
  }

  release(id: string): void {
    this.#byId.delete(id);
  }

  hasAny(node: number): boolean {
    for (const lease of this.#byId.values()) if (lease.node === node) return true;
    return false;
  }

  /** Ids held by `node`. */
  heldBy(node: number): string[] {
    const ids: string[] = [];
    for (const [id, lease] of this.#byId) if (lease.node === node) ids.push(id);
    return ids;
  }

  /** Releases and returns every id `node` holds. */
  takeFrom(node: number): string[] {
    const ids = this.heldBy(node);
    for (const id of ids) this.#byId.delete(id);
    return ids;
  }

  /** Releases and returns those of `ids` still leased under `fence`. */
  takeExpired(ids: readonly string[], fence: number): string[] {
    const expired = ids.filter(id => this.#byId.get(id)?.fence === fence);
    for (const id of expired) this.#byId.delete(id);
    return expired;
  }

  /** The current leases grouped by batch (to restart expiry timers after a restore). */
  batches(): Array<{ node: number; fence: number; ids: string[] }> {
    const byFence = new Map<number, { node: number; fence: number; ids: string[] }>();
    for (const [id, { node, fence }] of this.#byId) {
      const batch = byFence.get(fence) ?? { node, fence, ids: [] };
      batch.ids.push(id);
      byFence.set(fence, batch);
    }
    return [...byFence.values()];
  }

  clear(): void {
    this.#byId.clear();
  }

  /** test id -> node index */
  toRecord(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, lease] of this.#byId) out[id] = lease.node;
    return out;
  }
}
