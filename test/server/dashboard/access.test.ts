/**
 * Who may see what: secret keys and the view token compared in constant
 * time, sessions that map an opaque cookie to a scope, expire and are
 * bounded in number, and a cookie that scripts cannot read.
 */
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { bearerOf, Credentials, isBehindHttps, scopeOfRequest, sessionCookie, sessionIdOf } from '../../../src/server/dashboard/Credentials';
import { Sessions } from '../../../src/server/dashboard/Sessions';
import { KeyRing } from '../../../src/server/host/KeyRing';

const keys = new KeyRing(['key-one', 'key-two'], randomBytes(32));
const credentials = new Credentials(keys, 'view-token-0123456789');
const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('Credentials', () => {
  it("gives a key its own runs, the view token every run, anything else nothing", () => {
    expect(credentials.scopeOf('key-one')).toEqual({ kind: 'key', keyHash: keys.match('key-one')!.hash });
    expect(credentials.scopeOf('key-two')).toEqual({ kind: 'key', keyHash: keys.match('key-two')!.hash });
    expect(credentials.scopeOf('view-token-0123456789')).toEqual({ kind: 'all' });
    expect(credentials.scopeOf('view-token-012345678')).toBeUndefined();
    expect(credentials.scopeOf('')).toBeUndefined();
    expect(credentials.scopeOf(undefined)).toBeUndefined();
    expect(new Credentials(keys, undefined).scopeOf('view-token-0123456789')).toBeUndefined();
  });

  it('reads the Bearer header, and a session cookie among others', () => {
    expect(bearerOf(request({}))).toBeNull();
    expect(bearerOf(request({ authorization: 'Bearer key-one' }))).toBe('key-one');
    expect(bearerOf(request({ authorization: 'Basic a2V5' }))).toBe('');
    expect(sessionIdOf(request({ cookie: 'theme=dark; fastci_session=abc_-1; other=x' }))).toBe('abc_-1');
    expect(sessionIdOf(request({ cookie: 'xfastci_session=abc' }))).toBeUndefined();
  });

  it('lets a Bearer header decide alone: a wrong one is refused even with a good cookie', () => {
    const sessions = new Sessions();
    const id = sessions.create({ kind: 'all' });
    expect(scopeOfRequest(request({ cookie: `fastci_session=${id}` }), credentials, sessions)).toEqual({ kind: 'all' });
    expect(scopeOfRequest(request({ cookie: `fastci_session=${id}`, authorization: 'Bearer nope' }), credentials, sessions)).toBeUndefined();
    expect(scopeOfRequest(request({ authorization: 'Bearer key-two' }), credentials, sessions)).toEqual({ kind: 'key', keyHash: keys.match('key-two')!.hash });
  });

  it('sets an HttpOnly, SameSite=Strict cookie, Secure when a proxy says https', () => {
    expect(sessionCookie('abc', 43_200, false)).toBe('fastci_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200');
    expect(sessionCookie('', 0, true)).toBe('fastci_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure');
    expect(isBehindHttps(request({ 'x-forwarded-proto': 'https' }))).toBe(true);
    expect(isBehindHttps(request({ 'x-forwarded-proto': 'HTTPS, http' }))).toBe(true);
    expect(isBehindHttps(request({ 'x-forwarded-proto': 'http' }))).toBe(false);
    expect(isBehindHttps(request({}))).toBe(false);
  });
});

describe('Sessions', () => {
  it("pushes out a credential's own oldest sessions past its cap, never another key's", () => {
    const sessions = new Sessions({ max: 100, maxPerScope: 3 });
    const other = sessions.create({ kind: 'key', keyHash: 'b' });
    const mine = Array.from({ length: 10 }, () => sessions.create({ kind: 'key', keyHash: 'a' }));
    expect(sessions.get(other)).toEqual({ kind: 'key', keyHash: 'b' });
    expect(mine.map(id => sessions.get(id) !== undefined)).toEqual([false, false, false, false, false, false, false, true, true, true]);
    expect(sessions.size).toBe(4);
  });

  it('maps an opaque random id to a scope until it expires (12 h by default)', () => {
    let now = 0;
    const sessions = new Sessions({ now: () => now });
    const id = sessions.create({ kind: 'key', keyHash: 'h' });
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessions.get(id)).toEqual({ kind: 'key', keyHash: 'h' });
    now = 12 * 60 * 60_000 - 1;
    expect(sessions.get(id)).toEqual({ kind: 'key', keyHash: 'h' });
    now = 12 * 60 * 60_000;
    expect(sessions.get(id)).toBeUndefined();
    expect(sessions.size).toBe(0);
    expect(sessions.get(undefined)).toBeUndefined();
    expect(sessions.get('made-up')).toBeUndefined();
  });

  it('holds at most `max` sessions: a new one pushes out the oldest', () => {
    const sessions = new Sessions({ max: 2 });
    const first = sessions.create({ kind: 'all' });
    const second = sessions.create({ kind: 'all' });
    const third = sessions.create({ kind: 'all' });
    expect(sessions.size).toBe(2);
    expect(sessions.get(first)).toBeUndefined();
    expect(sessions.get(second)).toEqual({ kind: 'all' });
    expect(sessions.get(third)).toEqual({ kind: 'all' });
  });

  it('forgets a session on sign-out, and expired ones when a new one is made', () => {
    let now = 0;
    const sessions = new Sessions({ ttlMs: 10, now: () => now });
    const old = sessions.create({ kind: 'all' });
    now = 10;
    sessions.create({ kind: 'all' });
    expect(sessions.size).toBe(1);
    const id = sessions.create({ kind: 'all' });
    sessions.delete(id);
    expect(sessions.get(id)).toBeUndefined();
    expect(sessions.get(old)).toBeUndefined();
  });
});
