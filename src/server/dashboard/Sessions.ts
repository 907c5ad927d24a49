/**
 * Dashboard sign-ins: an opaque random id (the cookie's value) mapped to what
 * the credential may see. The credential itself is never kept, nor put in
 * the cookie. Sessions expire, and there are at most `max` of them: a new
 * one pushes out the oldest, so repeated sign-ins cannot grow memory.
 */
import { randomBytes } from 'node:crypto';
import type { Scope } from './types';

export interface SessionSettings {
  /** A session lasts this long from sign-in. @default 12 h */
  readonly ttlMs?: number;
  /** Sessions held at most; the oldest goes first. @default 10_000 */
  readonly max?: number;
  /** Sessions one credential (a key, or the view token) may hold; its own oldest goes first, never another's. @default 1_000 */
  readonly maxPerScope?: number;
  readonly now?: () => number;
}

export const SESSION_DEFAULTS = { ttlMs: 12 * 60 * 60_000, max: 10_000, maxPerScope: 1_000 } as const;

function scopeKey(scope: Scope): string {
  return scope.kind === 'all' ? 'all' : `key:${scope.keyHash}`;
}

export class Sessions {
  readonly ttlMs: number;
  readonly #max: number;
  readonly #maxPerScope: number;
  readonly #now: () => number;
  /** Insertion order is sign-in order: the first entry is the oldest. */
  #sessions = new Map<string, { scope: Scope; expires: number }>();

  constructor(settings: SessionSettings = {}) {
    this.ttlMs = settings.ttlMs ?? SESSION_DEFAULTS.ttlMs;
    this.#max = settings.max ?? SESSION_DEFAULTS.max;
    this.#maxPerScope = settings.maxPerScope ?? SESSION_DEFAULTS.maxPerScope;
    this.#now = settings.now ?? Date.now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** A new session for `scope`; returns its id (256 random bits, base64url). */
  create(scope: Scope): string {
    this.#sweep();
    // A credential signing in again and again pushes out its own oldest sessions, not other keys'.
    const own = scopeKey(scope);
    const mine = [...this.#sessions].filter(([, session]) => scopeKey(session.scope) === own);
    for (const [old] of mine.slice(0, Math.max(0, mine.length - this.#maxPerScope + 1))) this.#sessions.delete(old);
    while (this.#sessions.size >= this.#max) this.#sessions.delete(this.#sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { scope, expires: this.#now() + this.ttlMs });
    return id;
  }

  /** The scope of a live session; undefined for an unknown or expired id. */
  get(id: string | undefined): Scope | undefined {
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expires <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session.scope;
  }

  delete(id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(id);
  }

  /** Drops expired sessions from the front (the oldest expire first: every session lives ttlMs). */
  #sweep(): void {
    const now = this.#now();
    for (const [id, session] of this.#sessions) {
      if (session.expires > now) break;
      this.#sessions.delete(id);
    }
  }
}
