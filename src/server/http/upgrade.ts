/**
 * Decides whether an HTTP upgrade becomes an orchestrator socket (pure):
 * path, serializer version and key. Refusals carry the HTTP status and a
 * reason for the response body.
 */
import { WEBSOCKET_PATH } from '../../protocol/constants';
import { serializerFor, type Serializer } from '../../protocol/serializer';
import type { KeyMatch, KeyRing } from '../host/KeyRing';
import type { RunMeta } from '../types';

export interface SocketParams {
  readonly serializer: Serializer;
  readonly key: KeyMatch;
  /** The run_key query param, when sent. */
  readonly runKey: string | undefined;
  readonly meta: RunMeta;
  /** Every query param but secret_key, for frame records. */
  readonly query: Record<string, string>;
}

const SECRET_PARAM = 'secret_key';

export type UpgradeDecision = { ok: true; params: SocketParams } | { ok: false; status: number; reason: string };

/**
 * The URL with the secret replaced, for logs. Parameters are matched by
 * their parsed name, as checkUpgrade reads them: `secret%5Fkey=` is the key
 * too. The query is written back encoded, so no value can forge a log line.
 */
export function redactUrl(url: string | undefined): string {
  const raw = url ?? '';
  const q = raw.indexOf('?');
  // A key sent where no key belongs (a path segment, a misnamed parameter) is still a key: only known names show their values.
  const path = raw.slice(0, q < 0 ? raw.length : q);
  const shownPath = path === WEBSOCKET_PATH || path === '/' ? path : `/[a path of ${path.length} characters]`;
  if (q < 0) return shownPath;
  const query = [...new URLSearchParams(raw.slice(q + 1))]
    .map(([name, value]) => `${encodeURIComponent(name)}=${SHOWN_PARAMS.has(name) ? encodeURIComponent(value) : '[redacted]'}`)
    .join('&');
  return `${shownPath}?${query}`;
}

/** Query parameters whose values may be logged: the reference clients' own, except the key. */
const SHOWN_PARAMS = new Set(['vsn', 'build_id', 'run_key', 'branch', 'commit', 'commit_msg', 'author', 'node_id']);

function parseAuthor(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function checkUpgrade(rawUrl: string | undefined, keys: KeyRing): UpgradeDecision {
  let url: URL;
  try {
    url = new URL(rawUrl ?? '', 'http://localhost');
  } catch {
    return { ok: false, status: 400, reason: 'malformed request URL' };
  }
  if (url.pathname !== WEBSOCKET_PATH) return { ok: false, status: 404, reason: `no socket at ${url.pathname}; use ${WEBSOCKET_PATH}` };
  const vsn = url.searchParams.get('vsn');
  const serializer = serializerFor(vsn);
  if (serializer === undefined) return { ok: false, status: 403, reason: `unsupported vsn ${JSON.stringify(vsn)}; use 1.0.0 or 2.0.0` };
  const key = keys.match(url.searchParams.get(SECRET_PARAM));
  if (key === undefined) return { ok: false, status: 403, reason: 'missing or unknown secret_key' };

  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) if (name !== SECRET_PARAM) query[name] = value;
  const meta: RunMeta = {};
  if (query.branch !== undefined) meta.branch = query.branch;
  if (query.commit !== undefined) meta.commit = query.commit;
  if (query.commit_msg !== undefined) meta.commit_msg = query.commit_msg;
  if (query.author !== undefined) meta.author = parseAuthor(query.author);
  const runKey = query.run_key === undefined || query.run_key === '' ? undefined : query.run_key;
  return { ok: true, params: { serializer, key, runKey, meta, query } };
}
