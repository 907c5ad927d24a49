/**
 * Which credential a request carries and what it may see: one of the
 * server's secret keys (that key's runs) or the view token (every run,
 * read-only). Compared in constant time: the key through the KeyRing, the
 * token as keyed digests of equal length. Credentials come in an
 * `Authorization: Bearer` header (tools) or as the session cookie the
 * sign-in form sets (the page); never in a URL.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { KeyRing } from '../host/KeyRing';
import type { Sessions } from './Sessions';
import type { Scope } from './types';

/** The session cookie's name. */
export const SESSION_COOKIE = 'fastci_session';

export class Credentials {
  readonly #keys: KeyRing;
  readonly #secret = randomBytes(32);
  readonly #viewToken: Buffer | undefined;

  constructor(keys: KeyRing, viewToken: string | undefined) {
    this.#keys = keys;
    this.#viewToken = viewToken === undefined ? undefined : this.#digest(viewToken);
  }

  /** What `credential` may see, or undefined when it is neither a key nor the view token. */
  scopeOf(credential: string | undefined): Scope | undefined {
    if (credential === undefined || credential === '') return undefined;
    // Both comparisons run whatever the outcome: the timing says nothing about which kind matched.
    const key = this.#keys.match(credential);
    const isToken = this.#viewToken !== undefined && timingSafeEqual(this.#viewToken, this.#digest(credential));
    if (key !== undefined) return { kind: 'key', keyHash: key.hash };
    return isToken ? { kind: 'all' } : undefined;
  }

  #digest(value: string): Buffer {
    return createHmac('sha256', this.#secret).update(value, 'utf8').digest();
  }
}

/** The bearer credential of a request: a string, null when the header is absent, '' when it is not a Bearer. */
export function bearerOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (header === undefined) return null;
  return /^Bearer +(\S+) *$/.exec(header)?.[1] ?? '';
}

/** The value of the session cookie, if the request has one. */
export function sessionIdOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * What the request may see: a bearer credential decides alone (a wrong one
 * is refused even with a valid cookie), else the session cookie.
 */
export function scopeOfRequest(req: IncomingMessage, credentials: Credentials, sessions: Sessions): Scope | undefined {
  const bearer = bearerOf(req);
  if (bearer !== null) return credentials.scopeOf(bearer);
  return sessions.get(sessionIdOf(req));
}

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (no
 * other site's page sends it), Secure when a proxy says the page came over
 * https (the server itself speaks plain http and cannot know otherwise).
 */
export function sessionCookie(id: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

/** Whether the page was served over https, as a TLS-terminating proxy says (X-Forwarded-Proto). */
export function isBehindHttps(req: IncomingMessage): boolean {
  const proto = req.headers['x-forwarded-proto'];
  return (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/** Whether the request's Bearer credential is `expected` (constant time in the credential's length; never with no expected value). */
export function bearerMatches(req: IncomingMessage, expected: string | undefined): boolean {
  const given = bearerOf(req);
  if (expected === undefined || given === null || given === '') return false;
  const [a, b] = [createHmac('sha256', 'bearer').update(given).digest(), createHmac('sha256', 'bearer').update(expected).digest()];
  return timingSafeEqual(a, b);
}
