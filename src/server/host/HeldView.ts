/**
 * Deqs this server holds (a node with nothing to run yet waits for an
 * answer), and a batch's view of them: its holds, answers and drops reach
 * the host's list only once the batch's events are committed, so a batch
 * decided again (a lost lock) or failed (the store) leaves the list as it
 * was.
 */
import type { Answer } from '../../protocol/replies';
import type { Member } from '../run/runMachine';

export type Respond = (answer: Answer) => void;

export interface Held {
  readonly member: Member;
  readonly respond: Respond;
}

export class HeldView {
  readonly #base: readonly Held[];
  readonly #added: Held[] = [];
  readonly #removed = new Set<Held>();

  constructor(base: readonly Held[]) {
    this.#base = base;
  }

  all(): Held[] {
    return [...this.#base, ...this.#added].filter(h => !this.#removed.has(h));
  }

  isWaiting(index: number): boolean {
    return this.all().some(h => h.member.index === index);
  }

  add(held: Held): void {
    this.#added.push(held);
  }

  take(held: Held): void {
    this.#removed.add(held);
  }

  /** Takes every deq the node has held. */
  takeNode(index: number): Held[] {
    const taken = this.all().filter(h => h.member.index === index);
    for (const h of taken) this.#removed.add(h);
    return taken;
  }

  /** `current` (the host's list now, which a detach may have changed meanwhile) with this batch's decisions. */
  applyTo(current: readonly Held[], keep: (held: Held) => boolean): Held[] {
    return [...current, ...this.#added.filter(keep)].filter(h => !this.#removed.has(h));
  }
}
