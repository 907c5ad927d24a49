// The page's copy of one run: built from the stream's snapshot, then kept
// by applying each delta (docs/api.md). Whatever the page shows is derived
// from here.

const FINAL = new Set(['passed', 'failed', 'pending']);

export class RunModel {
  constructor(view) {
    // done, failed and the queue are counted from the model itself as deltas come; now() is the server's clock.
    const { done: _done, failed: _failed, queued: _queued, now: _now, ...rest } = view;
    Object.assign(this, rest);
    // Server time minus page time: files in hand grow with the server's clock.
    this.skew = view.now - Date.now();
    this.nodes = new Map(view.nodes.map(node => [node.index, node]));
    this.results = new Map(Object.entries(view.results));
    this.leased = new Map(Object.entries(view.leased));
    this.retries = new Map(Object.entries(view.retries));
    this.failedAttempts = new Map(Object.entries(view.failedAttempts ?? {}));
    this.open = new Map();
    for (const span of this.spans) if (span.to === null) this.open.set(span.id, span);
    // A file that failed only in the run's quarantined tests does not fail the run: counted apart.
    this.failed = [...this.results.values()].filter(r => r.status === 'failed' && !r.quarantined).length;
    this.quarantined = [...this.results.values()].filter(r => r.status === 'failed' && r.quarantined).length;
  }

  now() {
    return Date.now() + this.skew;
  }

  get done() {
    return this.results.size;
  }

  get inHand() {
    return this.leased.size;
  }

  get queued() {
    return Math.max(0, this.total - this.results.size - this.leased.size);
  }

  /** Applies one delta; returns false for one it does not know (a newer server). */
  apply(delta) {
    switch (delta.t) {
      case 'join': {
        const node = this.nodes.get(delta.node) ?? { index: delta.node, label: `node ${delta.node}`, waiting: false, filesReported: 0, workers: null };
        Object.assign(node, { connected: true, left: false, lost: false, workers: delta.workers ?? node.workers, label: delta.label ?? node.label });
        this.nodes.set(delta.node, node);
        this.nodeCount = Math.max(this.nodeCount, delta.node + 1);
        return true;
      }
      case 'enq':
        this.total = delta.total;
        if (this.state === 'waiting') this.state = 'running';
        return true;
      case 'lease':
        for (const id of delta.ids) {
          this.#close(id, 'released', delta.at);
          const span = { id, node: delta.node, from: delta.at, to: null, outcome: null };
          this.spans.push(span);
          this.open.set(id, span);
          this.leased.set(id, delta.node);
        }
        return true;
      case 'result': {
        if (this.results.has(delta.id)) return true;
        this.results.set(delta.id, delta.result);
        if (delta.result.status === 'failed') this[delta.result.quarantined ? 'quarantined' : 'failed'] += 1;
        const node = this.nodes.get(delta.result.node);
        if (node && !delta.crashed) node.filesReported += 1;
        this.leased.delete(delta.id);
        this.#close(delta.id, delta.result.status, delta.at);
        return true;
      }
      case 'retry':
        this.retries.set(delta.id, [...(this.retries.get(delta.id) ?? []), delta.node]);
        if (delta.failures) this.failedAttempts.set(delta.id, [...(this.failedAttempts.get(delta.id) ?? []), { node: delta.node, failures: delta.failures }]);
        this.leased.delete(delta.id);
        this.#close(delta.id, 'retried', delta.at);
        return true;
      case 'requeue':
        for (const id of delta.ids) {
          this.leased.delete(id);
          this.#close(id, 'requeued', delta.at);
        }
        return true;
      case 'warn':
        this.warnings.push(delta.message);
        return true;
      case 'leave':
        this.#node(delta.node, { left: true });
        return true;
      case 'lost':
        this.#node(delta.node, { lost: true, connected: false });
        return true;
      case 'finish':
        this.state = 'finished';
        this.finishedAt = delta.at;
        this.summary = delta.summary;
        for (const id of [...this.open.keys()]) this.#close(id, 'released', delta.at);
        this.leased.clear();
        return true;
      default:
        return false;
    }
  }

  /** Failed files, in the order their results came; those that failed only in quarantined tests last. */
  failures() {
    const failed = [...this.results].filter(([, r]) => r.status === 'failed');
    return [...failed.filter(([, r]) => !r.quarantined), ...failed.filter(([, r]) => r.quarantined)];
  }

  /** The `n` files that took longest. */
  slowest(n) {
    return [...this.results]
      .filter(([, r]) => r.runTime !== null)
      .sort((a, b) => b[1].runTime - a[1].runTime)
      .slice(0, n);
  }

  /** Files that failed on some node before their result (or before now): flaky when the result then passed. */
  retried() {
    return [...this.retries].map(([id, nodes]) => {
      const result = this.results.get(id);
      const verdict = result === undefined ? 'waiting' : result.status === 'failed' ? 'failed' : 'flaky';
      return { id, nodes, result, verdict };
    });
  }

  /** How people know node `index` ("node <CI shard>"). */
  nodeName(index) {
    return this.nodes.get(index)?.label ?? `node ${index}`;
  }

  /** The files a node holds now, oldest lease first. */
  runningOn(index) {
    const ids = [];
    for (const [id, node] of this.leased) if (node === index) ids.push(id);
    return ids;
  }

  /** Time left at the pace so far (ms), while running with some results; null otherwise. */
  estimateLeft() {
    if (this.state !== 'running' || this.startedAt === null || this.done === 0 || this.total === 0) return null;
    const elapsed = this.now() - this.startedAt;
    return (elapsed * (this.total - this.done)) / this.done;
  }

  /** Files a node holds now. */
  inHandOf(index) {
    let count = 0;
    for (const node of this.leased.values()) if (node === index) count += 1;
    return count;
  }

  /** A span's start: for a final result, its measured run time before the result arrived (a file may wait in a prefetched batch). */
  startOf(span) {
    const result = FINAL.has(span.outcome) ? this.results.get(span.id) : undefined;
    if (result?.runTime == null || span.to === null) return span.from;
    return Math.max(span.from, span.to - result.runTime * 1000);
  }

  #close(id, outcome, at) {
    const span = this.open.get(id);
    if (span === undefined) return;
    span.to = at;
    span.outcome = outcome;
    this.open.delete(id);
  }

  #node(index, changes) {
    const node = this.nodes.get(index);
    if (node) Object.assign(node, changes);
  }
}
