/**
 * How OrchestratorClient judges a failed connection (is retrying any use?)
 * and the words it reports it with. Secrets never reach a message: socket
 * errors are redacted before they are quoted.
 */
import { redact } from '../config';
import { ErrorCodes, FastCiError } from '../errors';
import { CloseCodes } from '../protocol/constants';
import { reasonOf } from '../protocol/replies';

/**
 * HTTP answers to the upgrade that no retry will change: wrong key, wrong
 * URL, over the connection limit. Others (502, 503 from a proxy or a server
 * shutting down) are retried until the connect timeout.
 */
const FINAL_HTTP_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 429]);
/**
 * Close codes after which the same frames would be refused again: resending
 * them after a reconnect would loop forever (unsupported or invalid data,
 * frame too big).
 */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCodes.unsupportedData, CloseCodes.invalidPayload, CloseCodes.tooBig]);

/** The HTTP status of a refused upgrade, from a socket error's description, when no retry will change it. */
export function finalHttpStatus(description: string): number | undefined {
  const status = Number(/Unexpected server response: (\d{3})/.exec(description)?.[1]);
  return FINAL_HTTP_STATUSES.has(status) ? status : undefined;
}

export function refusedError(server: string, status: number): FastCiError {
  const why =
    status === 403
      ? 'the secret key is wrong or not accepted there. Check FAST_CI_SECRET_KEY.'
      : status === 404
        ? 'there is no orchestrator socket at that address. FAST_CI_SERVER must be the server\'s base URL (scheme, host and port, no path).'
        : status === 429
          ? 'it has too many connections for this key; lower the number of nodes or raise the server\'s maxConnectionsPerKey.'
          : 'check FAST_CI_SERVER and the server\'s logs.';
  return new FastCiError(ErrorCodes.REFUSED, `The orchestrator at ${server} refused the connection (HTTP ${status}): ${why}`);
}

/** `lastError`: the last socket error's description, or "no answer". */
export function unreachableError(server: string, timeoutMs: number, lastError: string): FastCiError {
  return new FastCiError(ErrorCodes.UNREACHABLE, `Could not reach the orchestrator at ${server} within ${timeoutMs / 1000}s (${lastError}). Check FAST_CI_SERVER and that the server is up.`);
}

/** The error for a socket close whose code says the server refused what this node sent; undefined for any other close. */
export function finalCloseError(server: string, event: unknown): FastCiError | undefined {
  const { code, reason } = (event ?? {}) as { code?: number; reason?: string };
  if (code === undefined || !FINAL_CLOSE_CODES.has(code)) return undefined;
  return new FastCiError(
    ErrorCodes.PROTOCOL,
    `The orchestrator at ${server} closed the connection with code ${code}${reason ? ` (${reason})` : ''}: it refused what this node sent${code === CloseCodes.tooBig ? ' as too large' : ''}. Check the server's frame limit (maxFrameBytes).`,
  );
}

export function connectionLostError(server: string, reconnectTimeoutMs: number, reason: string): FastCiError {
  return new FastCiError(ErrorCodes.CONNECTION_LOST, `Lost the connection to the orchestrator at ${server} and could not restore it within ${reconnectTimeoutMs / 1000}s (${reason}).`);
}

export function deqTimeoutError(server: string, timeoutMs: number): FastCiError {
  return new FastCiError(ErrorCodes.TIMEOUT, `The orchestrator at ${server} did not answer deq within ${formatDuration(timeoutMs)}.`);
}

/** A socket error as a reader would say it, without the secret key. */
export function describeSocketError(error: unknown, secret: string | undefined): string {
  const e = error as { message?: unknown; error?: { message?: unknown; code?: unknown } } | undefined;
  const message = e?.error?.message ?? e?.message ?? String(error);
  return redact(String(message), secret);
}

/** Phoenix errors a channel with `{source: "transport", reason}` when the connection, not the server, failed. */
export function isTransportError(reason: unknown): reason is { source: 'transport'; reason?: unknown } {
  return typeof reason === 'object' && reason !== null && (reason as { source?: unknown }).source === 'transport';
}

/** Phoenix's reason for erroring a channel, as a reader would say it. */
export function describeTransportError(reason: unknown): string {
  switch (reason) {
    case 'heartbeat_timeout':
      return 'the orchestrator stopped answering heartbeats';
    case 'connection_closed':
      return 'the connection closed';
    case 'connection_error':
      return 'a connection error';
    default:
      return String(reason ?? 'the connection was lost');
  }
}

/** A server's reason as a suffix (": <reason>"), or nothing when it gave none. */
export function formatReason(reason: unknown): string {
  const text = reasonOf(reason);
  return text === 'no reason given' ? '' : `: ${text}`;
}

function formatDuration(ms: number): string {
  return ms >= 60_000 ? `${ms / 60_000} minutes` : `${ms / 1000} s`;
}
