/**
 * The dashboard's HTTP side: the page, its files, sign-in and sign-out, the
 * JSON API and its event streams (docs/api.md).
 *
 *   GET  /                                     the page (signed in) or the sign-in form
 *   POST /sign-in, /sign-out                   the session cookie
 *   GET  /assets/<file>                        the page's CSS and ES modules
 *   GET  /api/session                          what the credential may see
 *   GET  /api/runs                             recent runs          /api/runs/events: live
 *   GET  /api/runs/<run_key>/<build_id>        one run              …/events: live
 *   GET  /api/runs/<run_key>/<build_id>/files/<test id>   a file's recent durations
 *
 * Everything but the sign-in form and the files needs a credential (a secret
 * key: its runs; the view token: all runs) as a Bearer header or the session
 * cookie; without one the API answers 401 and holds no data.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import debug from 'debug';
import { buildIdProblem, runKeyProblem } from '../../protocol/topic';
import type { KeyRing } from '../host/KeyRing';
import { runId } from '../run/runIdentity';
import type { HistoryStore, QuarantineStore, TestHistoryStore, TestWindow } from '../store/types';
import { addTest, MAX_QUARANTINED, removeTest, type QuarantinePolicy } from '../store/quarantine';
import { testKey } from '../store/testHistory';
import { parseQuarantineChange, quarantineView } from './quarantineView';
import { flakyView } from './flakyView';
import { Credentials, isBehindHttps, scopeOfRequest, sessionCookie, sessionIdOf } from './Credentials';
import { EventStream } from './EventStream';
import { isCrossSite, readBody, readForm, redirect, SECURITY_HEADERS, sendBody, sendError, sendJson } from './http';
import { LiveRuns } from './LiveRuns';
import type { HeldRun, RunSource } from './runSource';
import { Sessions } from './Sessions';
import { SignInThrottle } from './SignInThrottle';
import { StaticAssets } from './StaticAssets';
import type { Scope } from './types';

const log = debug('jest-fast-ci:server:dashboard');

/** Open event streams at most (pages watching); past it new ones get 503. */
export const MAX_STREAMS = 256;
const API = '/api/';
const QUARANTINE = '/api/quarantine/';
const ASSETS = '/assets/';
const UNAUTHORIZED = { 'www-authenticate': 'Bearer realm="jest-fast-ci"' };

export interface DashboardSettings {
  readonly source: RunSource;
  readonly keys: KeyRing;
  /** Read-only credential that sees every run. */
  readonly viewToken?: string;
  /** Files' recent durations. */
  readonly history: HistoryStore;
  /** Each test's outcomes across runs (the flaky tests view), and what it keeps. */
  readonly tests: TestHistoryStore;
  readonly testWindow: TestWindow;
  /** The run keys' quarantines, and how long a hand entry lasts by default. */
  readonly quarantine: QuarantineStore;
  readonly quarantinePolicy: QuarantinePolicy;
  readonly maxStreams?: number;
}

export class Dashboard {
  readonly #runs: LiveRuns;
  readonly #credentials: Credentials;
  readonly #sessions = new Sessions();
  readonly #throttle = new SignInThrottle();
  readonly #assets = new StaticAssets();
  readonly #maxStreams: number;
  readonly #hasViewToken: boolean;

  readonly #settings: DashboardSettings;

  constructor(settings: DashboardSettings) {
    this.#settings = settings;
    this.#runs = new LiveRuns({ source: settings.source, history: settings.history });
    this.#credentials = new Credentials(settings.keys, settings.viewToken);
    this.#maxStreams = settings.maxStreams ?? MAX_STREAMS;
    this.#hasViewToken = settings.viewToken !== undefined;
  }

  /** Whether a request path is the dashboard's. */
  handles(path: string): boolean {
    return path === '/' || path === '/sign-in' || path === '/sign-out' || path.startsWith(ASSETS) || path.startsWith(API);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/sign-in' || path === '/sign-out') {
      if (req.method !== 'POST') return sendError(res, 405, `use POST ${path}`);
      if (isCrossSite(req)) return sendError(res, 403, 'a sign-in or sign-out from another site is refused');
      if (path === '/sign-out') return this.#signOut(req, res);
      return void this.#signIn(req, res).catch(error => {
        log('sign-in failed: %s', (error as Error).message);
        if (!res.headersSent) sendError(res, 400, 'could not read the form');
      });
    }
    if (req.method === 'POST' && path.startsWith(API) && path.endsWith('/cancel')) return this.#cancel(req, res, url);
    if ((req.method === 'POST' || req.method === 'DELETE') && path.startsWith(QUARANTINE)) return void this.#changeQuarantine(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'the dashboard answers GET only (and POST …/cancel)');
    if (path.startsWith(ASSETS)) return this.#asset(res, path.slice(ASSETS.length));
    const scope = scopeOfRequest(req, this.#credentials, this.#sessions);
    if (path === '/') {
      const page = scope === undefined ? this.#assets.page('signin.html') : this.#assets.page('index.html');
      return sendBody(res, 200, page, 'text/html; charset=utf-8', { 'cache-control': 'no-store' });
    }
    if (!path.startsWith(API)) return sendError(res, 404, 'not found');
    if (scope === undefined) {
      const bearer = req.headers.authorization !== undefined;
      if (bearer && this.#throttled(req, res)) return;
      if (bearer) this.#throttle.failed(addressOf(req));
      return sendError(res, 401, bearer ? 'unknown credential' : 'sign in: send a secret key or the view token as "Authorization: Bearer <credential>"', UNAUTHORIZED);
    }
    return this.#api(res, url, scope);
  }

  /** The request carries a credential the dashboard takes (a key, the view token, a live session). */
  isSignedIn(req: IncomingMessage): boolean {
    return scopeOfRequest(req, this.#credentials, this.#sessions) !== undefined;
  }

  /** Ends every event stream. */
  close(): void {
    this.#runs.close();
  }

  #api(res: ServerResponse, url: URL, scope: Scope): void {
    const parts = apiParts(url);
    if (parts === undefined) return sendError(res, 400, 'the path is not valid percent-encoding');
    if (parts.length === 1 && parts[0] === 'session') return sendJson(res, 200, { scope: scope.kind, viewToken: this.#hasViewToken });
    if (parts[0] === 'flaky' && parts.length === 2) return this.#flaky(res, url, scope, parts[1]!);
    if (parts[0] === 'quarantine' && parts.length === 2) return this.#quarantine(res, url, scope, parts[1]!);
    if (parts[0] !== 'runs') return sendError(res, 404, 'not found');
    if (parts.length === 1) return sendJson(res, 200, { now: Date.now(), runs: this.#runs.list(scope) });
    if (parts.length === 2 && parts[1] === 'events') return this.#listEvents(res, scope);
    const [, runKey, buildId, what, ...rest] = parts as [string, string, string, string | undefined, ...string[]];
    const bad = runKeyProblem(runKey) ?? buildIdProblem(buildId ?? '');
    if (bad !== undefined) return sendError(res, 400, bad);
    const key = url.searchParams.get('key');
    const keyIndex = key === null || scope.kind === 'key' || !/^-?\d+$/.test(key) ? undefined : Number(key);
    const held = this.#runs.find(scope, runKey, buildId, keyIndex);
    if (held === undefined) return sendError(res, 404, `no run ${runKey}-${buildId}${scope.kind === 'key' ? ' for this key' : ''}`);
    if (what === undefined) return sendJson(res, 200, this.#runs.view(held, scope));
    if (what === 'events' && rest.length === 0) return this.#runEvents(res, held, scope);
    if (what === 'files' && rest.length > 0) {
      return void this.#runs.fileHistory(held, rest.join('/')).then(
        view => sendJson(res, 200, view),
        (error: Error) => {
          log('file history failed: %s', error.message);
          sendError(res, 500, 'could not read the duration history');
        },
      );
    }
    return sendError(res, 404, 'not found');
  }

  /**
   * The scope of a change that only a secret key may make (`what`: "cancel
   * a run"), or undefined once the request is answered: from another site
   * 403, throttled 429, no credential 401, the view token 403.
   */
  #keyOnly(req: IncomingMessage, res: ServerResponse, what: string): Extract<Scope, { kind: 'key' }> | undefined {
    if (isCrossSite(req)) return void sendError(res, 403, `a request to ${what} from another site is refused`);
    if (this.#throttled(req, res)) return undefined;
    const scope = scopeOfRequest(req, this.#credentials, this.#sessions);
    if (scope === undefined) {
      this.#throttle.failed(addressOf(req));
      return void sendError(res, 401, `to ${what} takes its secret key, as "Authorization: Bearer <key>"`, UNAUTHORIZED);
    }
    if (scope.kind !== 'key') return void sendError(res, 403, `the view token sees every run but cannot ${what}: use the run key's secret key`);
    return scope;
  }

  /** The identity of a run key's histories for this scope (the view token names the key by position), or why there is none. */
  #runKeyOf(url: URL, scope: Scope, runKey: string): { identity: { keyHash: string; runKey: string; buildId: string } } | { status: number; error: string } {
    const bad = runKeyProblem(runKey);
    if (bad !== undefined) return { status: 400, error: bad };
    const key = url.searchParams.get('key') ?? '0';
    const keyHash = scope.kind === 'key' ? scope.keyHash : /^\d+$/.test(key) ? this.#settings.keys.hashAt(Number(key)) : undefined;
    if (keyHash === undefined) return { status: 404, error: `no key #${key} on this server` };
    return { identity: { keyHash, runKey, buildId: '' } };
  }

  /** `GET /api/quarantine/<run_key>[?key=<n>]`: the run key's quarantined tests and the audit of changes (docs/flaky.md). */
  #quarantine(res: ServerResponse, url: URL, scope: Scope, runKey: string): void {
    const found = this.#runKeyOf(url, scope, runKey);
    if ('error' in found) return sendError(res, found.status, found.error);
    void this.#settings.quarantine.get(found.identity).then(
      q => sendJson(res, 200, quarantineView(runKey, q)),
      (error: Error) => {
        log('quarantine failed: %s', error.message);
        sendError(res, 500, 'could not read the quarantine');
      },
    );
  }

  /**
   * `POST /api/quarantine/<run_key>` (add) and `DELETE` (remove), a JSON
   * body `{file, name, reason, days?, cleanRuns?, by?}`: for the run key's
   * own secret key only, never the view token; each change is in the audit.
   */
  async #changeQuarantine(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const scope = this.#keyOnly(req, res, 'change the quarantine');
    if (scope === undefined) return;
    const parts = apiParts(url);
    if (parts === undefined || parts.length !== 2) return sendError(res, 404, 'not found: POST or DELETE /api/quarantine/<run key>');
    const found = this.#runKeyOf(url, scope, parts[1]!);
    if ('error' in found) return sendError(res, found.status, found.error);
    let body: ReturnType<typeof parseQuarantineChange>;
    try {
      body = parseQuarantineChange(await readBody(req));
    } catch (error) {
      return sendError(res, 400, (error as Error).message);
    }
    if ('error' in body) return sendError(res, 400, body.error);
    const test = testKey(body.file, body.name);
    const now = Date.now();
    let outcome: { added?: boolean; why?: string; removed?: boolean } = {};
    try {
      const q = await this.#settings.quarantine.update(found.identity, current => {
        if (req.method === 'DELETE') {
          const removed = removeTest(current, test, { by: body.by, why: body.reason, at: now });
          outcome = { removed: removed.removed };
          return removed.quarantine;
        }
        const expiresAt = now + (body.days ?? this.#settings.quarantinePolicy.days) * 86_400_000;
        const added = addTest(current, test, { by: body.by, reason: body.reason, at: now, expiresAt, cleanRuns: body.cleanRuns ?? null }, MAX_QUARANTINED);
        outcome = { added: added.added, why: added.why };
        return added.quarantine;
      });
      if (req.method === 'DELETE' && outcome.removed !== true) return sendError(res, 404, `${body.name} in ${body.file} is not quarantined`);
      if (req.method === 'POST' && outcome.added !== true) return sendError(res, 409, outcome.why ?? 'not added');
      sendJson(res, 200, quarantineView(parts[1]!, q));
    } catch (error) {
      log('quarantine change failed: %s', (error as Error).message);
      sendError(res, 500, 'could not change the quarantine');
    }
  }

  /** `GET /api/flaky/<run_key>[?key=<n>]`: the flaky tests of the signed-in key's run key (the view token names the key by position). */
  #flaky(res: ServerResponse, url: URL, scope: Scope, runKey: string): void {
    const found = this.#runKeyOf(url, scope, runKey);
    if ('error' in found) return sendError(res, found.status, found.error);
    const now = Date.now();
    void Promise.all([this.#settings.tests.withFailures(found.identity, now), this.#settings.quarantine.get(found.identity)]).then(
      ([tests, q]) => sendJson(res, 200, flakyView(runKey, tests, this.#settings.testWindow, now, q)),
      (error: Error) => {
        log('flaky tests failed: %s', error.message);
        sendError(res, 500, 'could not read the test history');
      },
    );
  }

  /**
   * `POST /api/runs/<run_key>/<build_id>/cancel`: stops a run, for its own
   * key only (never the view token), the way --bail does: nodes drop what
   * they hold, the run finishes as cancelled, every node exits 1.
   */
  #cancel(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const scope = this.#keyOnly(req, res, 'cancel a run');
    if (scope === undefined) return;
    const parts = apiParts(url);
    if (parts === undefined) return sendError(res, 400, 'the path is not valid percent-encoding');
    const [runs, runKey, buildId, what] = parts;
    if (runs !== 'runs' || runKey === undefined || buildId === undefined || what !== 'cancel' || parts.length !== 4) return sendError(res, 404, 'not found');
    const bad = runKeyProblem(runKey) ?? buildIdProblem(buildId);
    if (bad !== undefined) return sendError(res, 400, bad);
    const held = this.#runs.find(scope, runKey, buildId);
    if (held === undefined) return sendError(res, 404, `no run ${runKey}-${buildId} for this key`);
    if (held.finishedAt !== undefined) return sendError(res, 409, `run ${runKey}-${buildId} has already finished`);
    void held.cancel().then(
      () => sendJson(res, 200, { cancelled: true }),
      (error: Error) => {
        log('cancel failed: %s', error.message);
        sendError(res, 500, 'could not cancel the run');
      },
    );
  }

  #listEvents(res: ServerResponse, scope: Scope): void {
    const stream = this.#openStream(res);
    if (stream === undefined) return;
    stream.sendSnapshot('snapshot', JSON.stringify({ now: Date.now(), runs: this.#runs.list(scope) }));
    this.#runs.hub.watchList(scope, stream);
  }

  #runEvents(res: ServerResponse, held: HeldRun, scope: Scope): void {
    const stream = this.#openStream(res);
    if (stream === undefined) return;
    const since = this.#runs.hub.seq;
    stream.sendSnapshot('snapshot', JSON.stringify(this.#runs.view(held, scope)));
    this.#runs.hub.watchRun(runId(held.identity), stream, since);
  }

  #openStream(res: ServerResponse): EventStream | undefined {
    if (this.#runs.hub.watchers >= this.#maxStreams) {
      sendError(res, 503, `too many pages are watching (limit ${this.#maxStreams}); try again later`, { 'retry-after': '10' });
      return undefined;
    }
    return new EventStream(res, { ...SECURITY_HEADERS });
  }

  #asset(res: ServerResponse, name: string): void {
    const asset = this.#assets.get(name);
    if (asset === undefined) return sendError(res, 404, 'not found');
    sendBody(res, 200, asset.body, asset.type, { 'cache-control': 'no-cache' });
  }

  /** Answers 429 when the request's address has failed too often of late. */
  #throttled(req: IncomingMessage, res: ServerResponse): boolean {
    const wait = this.#throttle.retryAfter(addressOf(req));
    if (wait === 0) return false;
    sendError(res, 429, `too many wrong credentials from this address; try again in ${wait} s`, { 'retry-after': String(wait) });
    return true;
  }

  async #signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#throttled(req, res)) return;
    const form = await readForm(req);
    const scope = this.#credentials.scopeOf(form.get('credential')?.trim());
    if (scope === undefined) {
      this.#throttle.failed(addressOf(req));
      const page = this.#assets.page('signin.html', 'That is neither a secret key of this server nor its view token.');
      return sendBody(res, 401, page, 'text/html; charset=utf-8', { 'cache-control': 'no-store' });
    }
    this.#sessions.delete(sessionIdOf(req));
    const id = this.#sessions.create(scope);
    redirect(res, '/', { 'set-cookie': sessionCookie(id, Math.floor(this.#sessions.ttlMs / 1000), isBehindHttps(req)) });
  }

  #signOut(req: IncomingMessage, res: ServerResponse): void {
    this.#sessions.delete(sessionIdOf(req));
    redirect(res, '/', { 'set-cookie': sessionCookie('', 0, isBehindHttps(req)) });
  }
}

/** Where a request comes from, for the sign-in throttle. */
function addressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** The parts of an API path after `/api/`, decoded; undefined when one is not valid percent-encoding. */
function apiParts(url: URL): string[] | undefined {
  try {
    return url.pathname.slice(API.length).split('/').map(part => decodeURIComponent(part));
  } catch {
    return undefined;
  }
}
