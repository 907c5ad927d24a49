/**
 * Every reply of the protocol, both ways (pure): the server's answers put
 * into wire shape (`replyOf`, `joinReplyOf`, `replyMessage`), the reasons it
 * refuses with, and the client's checks of what it gets before the runner
 * trusts it (`parseJoinResponse`, `parseDeqResponse`, `parseFilesResponse`).
 * The run decides answers in its own terms (camelCase, no wire fields); only
 * this module knows how they travel.
 */
import { ErrorCodes, FastCiError } from '../errors';
import { isPartMap } from './parts';
import { Extensions, PhxEvents, ReplyEvents, RunStates } from './constants';
import { parseRetryRunReply } from './retryRun';
import { isQuarantineList } from './quarantine';
import type { DeqResponse, FilesResponse, JoinResponse, Message, PartSpec, RetryRunReply, RunSummary } from './types';

// ---- Server side: answers and their wire shape. ---------------------------

/** A reply as a channel carries it, inside `phx_reply`. */
export interface Reply {
  readonly status: 'ok' | 'error';
  readonly response: object;
}

/** What a request is answered with, decided by the run before it is encoded. */
export type Answer =
  /** Done; `retry`: failures in the request's results that are not final (they run again elsewhere). */
  | { readonly kind: 'ok'; readonly retry?: readonly string[] }
  | { readonly kind: 'refused'; readonly reason: string }
  /** A `deq` answer: the next files (none: done, or "report yours"), the summary once the run is done. */
  | { readonly kind: 'work'; readonly tests: readonly string[]; readonly summary?: RunSummary; readonly parts?: Readonly<Record<string, PartSpec>>; readonly retry?: readonly string[] }
  /** A `files` answer: the run's file set is the node's, or the run's ids to compare. */
  | { readonly kind: 'files'; readonly match: boolean; readonly tests?: readonly string[] };

/** A node joined: what its join reply says, in the run's terms. */
export interface Joined {
  readonly nodeIndex: number;
  /** Files are enqueued (the node asks for work at once). */
  readonly enqueued: boolean;
  /** On a rejoin: the files it holds without a result, and which of them are parts. */
  readonly leases?: readonly string[];
  readonly parts?: Readonly<Record<string, PartSpec>>;
  readonly finished?: boolean;
  readonly retryRun?: RetryRunReply;
  /** The run's page (the server's public address and the run's route). */
  readonly runUrl?: string;
  /** The run key's quarantined tests: [file id, full name]. */
  readonly quarantine?: ReadonlyArray<readonly [string, string]>;
}

/** Reasons the server refuses with, in one place. */
export const Refusals = {
  unmatchedTopic: 'unmatched topic',
  stale: 'this channel was replaced by a newer join of the same node_id',
  left: 'this node sent leave; join again to get more files',
  internal: 'internal server error',
  emptyEnq: 'enq has no tests: a run needs at least one test file (did this node find any?)',
  notEnqueued: "the run's files are not enqueued yet; send files after the first deq reply",
  unknownEvent: (event: string): string => `unknown event ${JSON.stringify(event.slice(0, 64))}; expected enq, deq, leave, files or running`,
  cannotJoin: (problem: string): string => `cannot join: ${problem}`,
} as const;

export const OK: Answer = { kind: 'ok' };
export const STALE: Answer = { kind: 'refused', reason: Refusals.stale };
export const LEFT: Answer = { kind: 'refused', reason: Refusals.left };

export function refused(reason: string): Answer {
  return { kind: 'refused', reason };
}

export function work(tests: readonly string[], summary?: RunSummary, parts?: Readonly<Record<string, PartSpec>>): Answer {
  return { kind: 'work', tests, ...(summary === undefined ? {} : { summary }), ...(parts === undefined ? {} : { parts }) };
}

/** The answer naming the failures that will run again elsewhere (every answer to the request that carried them must). */
export function withRetry(answer: Answer, retry: readonly string[]): Answer {
  if (retry.length === 0 || (answer.kind !== 'ok' && answer.kind !== 'work')) return answer;
  return { ...answer, retry: [...retry] };
}

/** An answer in wire shape. */
export function replyOf(answer: Answer): Reply {
  switch (answer.kind) {
    case 'ok':
      return { status: 'ok', response: answer.retry === undefined ? {} : { retry: [...answer.retry] } };
    case 'refused':
      return { status: 'error', response: { reason: answer.reason } };
    case 'work': {
      const response: DeqResponse = { event: ReplyEvents.deq, tests: [...answer.tests] };
      if (answer.summary !== undefined) response.summary = answer.summary;
      if (answer.parts !== undefined) response.parts = { ...answer.parts };
      if (answer.retry !== undefined) response.retry = [...answer.retry];
      return { status: 'ok', response };
    }
    case 'files': {
      const response: FilesResponse = answer.tests === undefined ? { event: ReplyEvents.files, match: answer.match } : { event: ReplyEvents.files, match: answer.match, tests: [...answer.tests] };
      return { status: 'ok', response };
    }
  }
}

/** A join reply in wire shape; it lists the extensions this server offers. */
export function joinResponseOf(joined: Joined): JoinResponse {
  const response: JoinResponse = { event: ReplyEvents.join, node_index: joined.nodeIndex, state: joined.enqueued ? RunStates.running : RunStates.waiting };
  if (joined.leases !== undefined) response.leases = [...joined.leases];
  if (joined.parts !== undefined) response.parts = { ...joined.parts };
  if (joined.finished === true) response.finished = true;
  response.extensions = Object.values(Extensions);
  if (joined.retryRun !== undefined) response.retry_run = joined.retryRun;
  if (joined.runUrl !== undefined) response.run_url = joined.runUrl;
  if (joined.quarantine !== undefined && joined.quarantine.length > 0) response.quarantine = joined.quarantine.map(([file, name]) => [file, name]);
  return response;
}

export function joinReplyOf(joined: Joined): Reply {
  return { status: 'ok', response: joinResponseOf(joined) };
}

/**
 * The `phx_reply` frame of a reply to `to`, echoing its refs. An error's
 * response carries `event: "error"`, as the reference clients fail loudly
 * on it (NOTES §1) and keep waiting on any other.
 */
export function replyMessage(to: Pick<Message, 'join_ref' | 'ref' | 'topic'>, reply: Reply): Message {
  const payload = reply.status === 'error' ? { status: 'error', response: { event: ReplyEvents.error, ...reply.response } } : reply;
  return { join_ref: to.join_ref, ref: to.ref, topic: to.topic, event: PhxEvents.reply, payload };
}

// ---- Client side: checks of what the server sent. --------------------------

/** The `parts` map of a reply, checked: each id's file and the tests it runs (or skips). */
function parseParts(value: unknown, what: string): Record<string, PartSpec> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPartMap(value)) throw protocolError(`${what} (its parts)`, value);
  return value;
}

function protocolError(what: string, value: unknown): FastCiError {
  return new FastCiError(ErrorCodes.PROTOCOL, `The orchestrator sent a ${what} this client does not understand: ${JSON.stringify(value)?.slice(0, 200)}`);
}

/** Most quarantined tests a join reply may list. */
export const MAX_QUARANTINED_TESTS = 10_000;

export function parseJoinResponse(value: unknown): JoinResponse {
  const r = value as (Omit<Partial<JoinResponse>, 'leases' | 'extensions' | 'retry_run'> & { leases?: unknown; extensions?: unknown }) | undefined;
  if (!r || typeof r.node_index !== 'number' || !Number.isInteger(r.node_index) || r.node_index < 0) {
    throw protocolError('join reply', value);
  }
  // The reference server always answers "running"; treat anything unknown as running.
  const state = r.state === 'waiting' ? 'waiting' : 'running';
  const response: JoinResponse = { event: 'join', node_index: r.node_index, state };
  if (Array.isArray(r.leases) && r.leases.every(id => typeof id === 'string')) response.leases = r.leases as string[];
  if (r.finished === true) response.finished = true;
  const parts = parseParts((r as { parts?: unknown }).parts, 'join reply');
  if (parts !== undefined) response.parts = parts;
  if (Array.isArray(r.extensions) && r.extensions.every(name => typeof name === 'string')) response.extensions = r.extensions as string[];
  // Read only from a server that offers the extension (another server's field of that name means something else).
  const retryRun = response.extensions?.includes(Extensions.retryRun) ? parseRetryRunReply((value as { retry_run?: unknown }).retry_run) : undefined;
  if (retryRun !== undefined) response.retry_run = retryRun;
  const runUrl = (value as { run_url?: unknown }).run_url;
  if (response.extensions?.includes(Extensions.runUrl) && typeof runUrl === 'string' && /^https?:\/\//.test(runUrl) && runUrl.length <= 2048) response.run_url = runUrl;
  const quarantine = (value as { quarantine?: unknown }).quarantine;
  if (response.extensions?.includes(Extensions.quarantine) && Array.isArray(quarantine)) {
    if (quarantine.length > MAX_QUARANTINED_TESTS || !isQuarantineList(quarantine)) {
      throw protocolError('join reply (its quarantine)', quarantine);
    }
    response.quarantine = quarantine;
  }
  return response;
}

export function parseDeqResponse(value: unknown): DeqResponse {
  const r = value as { tests?: unknown; summary?: unknown; retry?: unknown; parts?: unknown } | undefined;
  if (!r || !Array.isArray(r.tests) || !r.tests.every(id => typeof id === 'string')) {
    throw protocolError('deq reply', value);
  }
  const response: DeqResponse = { event: 'deq', tests: r.tests as string[] };
  if (r.summary && typeof r.summary === 'object') response.summary = r.summary as RunSummary;
  if (Array.isArray(r.retry) && r.retry.every(id => typeof id === 'string')) response.retry = r.retry as string[];
  const parts = parseParts(r.parts, 'deq reply');
  if (parts !== undefined) response.parts = parts;
  return response;
}

export function parseFilesResponse(value: unknown): FilesResponse {
  const r = value as { match?: unknown; tests?: unknown } | undefined;
  if (!r || typeof r.match !== 'boolean') throw protocolError('files reply', value);
  if (r.match) return { event: 'files', match: true };
  if (!Array.isArray(r.tests) || !r.tests.every(id => typeof id === 'string')) throw protocolError('files reply', value);
  return { event: 'files', match: false, tests: r.tests as string[] };
}

/** The `reason` of an error reply, or a short rendering of whatever came. */
export function reasonOf(response: unknown): string {
  if (response && typeof response === 'object' && typeof (response as { reason?: unknown }).reason === 'string') {
    return (response as { reason: string }).reason;
  }
  if (response === undefined || response === null || (typeof response === 'object' && Object.keys(response).length === 0)) {
    return 'no reason given';
  }
  return JSON.stringify(response).slice(0, 300);
}
