/** Checks the server's replies before the runner trusts them. */
import { ErrorCodes, FastCiError } from '../errors';
import { isPartMap, type PartSpec } from './parts';
import { Extensions } from './constants';
import { parseRetryRunReply } from './retryRun';
import type { DeqResponse, FilesResponse, JoinResponse, RunSummary } from './types';

/** The `parts` map of a reply, checked: each id's file and the tests it runs (or skips). */
function parseParts(value: unknown, what: string): Record<string, PartSpec> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPartMap(value)) throw protocolError(`${what} (its parts)`, value);
  return value;
}

function protocolError(what: string, value: unknown): FastCiError {
  return new FastCiError(ErrorCodes.PROTOCOL, `The orchestrator sent a ${what} this client does not understand: ${JSON.stringify(value)?.slice(0, 200)}`);
}

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
