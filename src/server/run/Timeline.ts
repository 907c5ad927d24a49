/**
 * Each unit's time on each node (the run page's timeline): from its lease
 * to its result, or to when it was taken back, with the times its events
 * carry. Part of a run's state, changed only by `apply`.
 */
import type { TestStatus } from '../../protocol/types';

/** How one unit's time on one node ended. */
export type SpanOutcome = TestStatus | 'retried' | 'requeued' | 'released';

/** One file (or part) on one node, as its lease or a backup copy; `to` null while in hand. */
export interface Span {
  readonly id: string;
  readonly node: number;
  readonly from: number;
  to: number | null;
  outcome: SpanOutcome | null;
}

/** Spans a run keeps at most beyond two per file: a run that requeues in a loop does not grow without bound. */
export const MAX_EXTRA_SPANS = 10_000;

export class Timeline {
  #spans: Span[] = [];
  /** The span of each unit in hand, by unit and node (a backup copy runs beside its original). */
  readonly #open = new Map<string, Span>();
  #timed = true;

  /** Every span's times came from its events: false for a journal written before events carried them, or past the cap (then none are kept). */
  get isTimed(): boolean {
    return this.#timed;
  }

  get size(): number {
    return this.#spans.length;
  }

  /** `ids` went to `node` at `at` (undefined: the event had no time; `fallback` stands in). */
  start(ids: readonly string[], node: number, at: number | undefined, fallback: number, max: number): void {
    const from = this.#time(at, fallback);
    for (const id of ids) {
      this.end(id, 'released', from, from, node);
      if (!this.#timed) continue;
      if (this.#spans.length >= max) {
        this.#drop();
        continue;
      }
      const span: Span = { id, node, from, to: null, outcome: null };
      this.#spans.push(span);
      this.#open.set(keyOf(id, node), span);
    }
  }

  /** The unit's time on `node` ended (every node's, without one). */
  end(id: string, outcome: SpanOutcome, at: number | undefined, fallback: number, node?: number): void {
    const keys = node !== undefined ? [keyOf(id, node)] : [...this.#open].filter(([, span]) => span.id === id).map(([key]) => key);
    for (const key of keys) {
      const span = this.#open.get(key);
      if (span === undefined) continue;
      span.to = this.#time(at, fallback);
      span.outcome = outcome;
      this.#open.delete(key);
    }
  }

  /** A finished run holds nothing. */
  endAll(at: number): void {
    for (const span of this.#open.values()) {
      span.to = at;
      span.outcome = 'released';
    }
    this.#open.clear();
  }

  /** Copies, oldest first. */
  spans(): Span[] {
    return this.#spans.map(span => ({ ...span }));
  }

  #time(at: number | undefined, fallback: number): number {
    if (at !== undefined) return at;
    this.#timed = false;
    return fallback;
  }

  #drop(): void {
    this.#spans = [];
    this.#open.clear();
    this.#timed = false;
  }
}

function keyOf(id: string, node: number): string {
  return `${node}:${id}`;
}
