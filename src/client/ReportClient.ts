/**
 * The whole-run report endpoints of the orchestrator (extension; see
 * src/server/http/reportHttp.ts): records go up as NDJSON in a POST, the run's
 * come down as a stream. Plain HTTP(S) to the same host and port as the
 * socket, with the key in an Authorization header, never in the URL.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { redact, type FastCiConfig } from '../config';
import { ErrorCodes, FastCiError } from '../errors';
import { LineSplitter, type ReportHeader } from '../protocol/reports';

/** Why the server did not take or give reports, with its HTTP status (404: it has no such endpoint). */
export class ReportRefused extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ReportRefused';
    this.status = status;
  }
}

export interface ReceivedRecord {
  readonly header: ReportHeader;
  readonly body: Buffer;
}

/** How long a report request may sit with no byte moving before it is cut. */
export const REPORT_IDLE_TIMEOUT_MS = 30_000;
/**
 * Waits between attempts (3 in all): a reset connection (a server instance
 * dying behind a balancer) is tried again, on any instance.
 */
const RETRY_DELAYS_MS = [250, 1_000];
/** Statuses another attempt may get past (a balancer with no instance up yet, an instance shutting down). */
const RETRIABLE_STATUSES = new Set([502, 503, 504]);

export interface ReportClientOptions {
  /** Cut a request with no byte moving this long. @default REPORT_IDLE_TIMEOUT_MS */
  readonly idleTimeoutMs?: number;
  /** The waits between attempts (their count + 1 is the number of attempts). @default [250, 1000] */
  readonly retryDelaysMs?: readonly number[];
}

export class ReportClient {
  readonly #url: URL;
  readonly #key: string;
  readonly #safeUrl: string;
  readonly #idleTimeoutMs: number;
  readonly #retryDelaysMs: readonly number[];
  /** Requests under way, cut by abort(). */
  readonly #inFlight = new Set<ClientRequest>();
  #aborted: string | undefined;

  constructor(config: FastCiConfig, options: ReportClientOptions = {}) {
    if (!config.secretKey) throw new TypeError('ReportClient needs a config with a secret key');
    const base = new URL(config.server.replace(/^ws/, 'http'));
    this.#url = new URL(`/test_orchestrators/reports/${encodeURIComponent(config.runKey)}/${encodeURIComponent(config.buildId)}`, base);
    this.#url.searchParams.set('node_id', config.nodeId);
    this.#key = config.secretKey;
    this.#safeUrl = redact(this.#url.origin, this.#key);
    this.#idleTimeoutMs = options.idleTimeoutMs ?? REPORT_IDLE_TIMEOUT_MS;
    this.#retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  /**
   * Sends records (encodeRecord text); resolves with how many the server
   * stored. Tried again on a reset connection or a 502/503/504: the server
   * keeps one record per file and node, so a record sent twice is kept
   * once. Rejects with ReportRefused or a FastCiError.
   */
  upload(records: string): Promise<number> {
    return this.#attempt(async () => {
      const res = await this.#request('POST', this.#url, records);
      const body = await readJson(res);
      if (res.statusCode !== 200) throw refused(res.statusCode ?? 0, body);
      return typeof body.stored === 'number' ? body.stored : 0;
    });
  }

  /**
   * Fetches the records of the run's other nodes: the server waits up to
   * `waitMs` for records still on their way. Resolves once the stream ends;
   * a stream cut short is fetched again whole.
   */
  download(waitMs: number): Promise<ReceivedRecord[]> {
    return this.#attempt(async () => {
      const records: ReceivedRecord[] = [];
      await this.#stream(waitMs, false, record => records.push(record));
      return records;
    });
  }

  /**
   * Follows the run's records from now on: each other node's result as soon
   * as the server has it, then, once the run is over, the rest (as
   * download()). `onRecord` sees each record once. Not tried again (records
   * were consumed): the caller falls back to download() when it rejects.
   */
  follow(waitMs: number, onRecord: (record: ReceivedRecord) => void): Promise<void> {
    return this.#stream(waitMs, true, onRecord);
  }

  async #stream(waitMs: number, follow: boolean, onRecord: (record: ReceivedRecord) => void): Promise<void> {
    const url = new URL(this.#url);
    url.searchParams.set('wait', String(Math.ceil(waitMs / 1000)));
    if (follow) url.searchParams.set('follow', '1');
    // A followed stream is never silent for long (the server sends a blank line now and then): the idle timeout holds.
    const res = await this.#request('GET', url, undefined, follow ? 0 : waitMs);
    if (res.statusCode !== 200) throw refused(res.statusCode ?? 0, await readJson(res));
    const splitter = new LineSplitter();
    let header: ReportHeader | undefined;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        for (const line of splitter.push(chunk)) {
          if (line.length === 0 && header === undefined) continue;
          if (header === undefined) header = JSON.parse(line.toString('utf8')) as ReportHeader;
          else {
            onRecord({ header, body: line });
            header = undefined;
          }
        }
      }
    } catch (error) {
      // The stream was cut (a reset, the idle timeout, abort()): as unreachable, so it is fetched again whole.
      if (error instanceof SyntaxError) throw error;
      throw this.#unreachable((error as Error).message);
    }
    if (header !== undefined || splitter.pending > 0) {
      throw new FastCiError(ErrorCodes.PROTOCOL, `The orchestrator at ${this.#safeUrl} ended the run's reports in the middle of a record.`);
    }
  }

  /** The node gave up on the server: every request under way is cut (its socket destroyed), and later ones fail at once. */
  abort(reason: string): void {
    this.#aborted ??= reason;
    for (const req of this.#inFlight) req.destroy(new Error(reason));
    this.#inFlight.clear();
  }

  async #attempt<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await send();
      } catch (error) {
        const delay = this.#retryDelaysMs[attempt];
        if (delay === undefined || this.#aborted !== undefined || !isRetriable(error)) throw error;
        await new Promise(resolve => setTimeout(resolve, delay));
      }
    }
  }

  /** One request, cut when no byte moves for the idle timeout (plus `waitMs`, the server's own wait). */
  #request(method: 'GET' | 'POST', url: URL, body?: string, waitMs = 0): Promise<IncomingMessage> {
    if (this.#aborted !== undefined) return Promise.reject(this.#unreachable(this.#aborted));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body) }),
        },
        agent: false,
        timeout: this.#idleTimeoutMs + waitMs,
      });
      this.#inFlight.add(req);
      req.on('close', () => this.#inFlight.delete(req));
      req.on('timeout', () => req.destroy(new Error(`no answer for ${Math.round((this.#idleTimeoutMs + waitMs) / 1000)} s`)));
      req.on('response', resolve);
      req.on('error', error => reject(this.#unreachable(error.message)));
      req.end(body);
    });
  }

  #unreachable(why: string): FastCiError {
    return new FastCiError(ErrorCodes.UNREACHABLE, `Could not reach the orchestrator's reports at ${this.#safeUrl}: ${redact(why, this.#key)}`);
  }
}

/** A failure another attempt may get past: the connection, not the server's word. */
function isRetriable(error: unknown): boolean {
  if (error instanceof ReportRefused) return RETRIABLE_STATUSES.has(error.status);
  return error instanceof FastCiError && (error.code === ErrorCodes.UNREACHABLE || error.code === ErrorCodes.PROTOCOL);
}

async function readJson(res: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of res as AsyncIterable<Buffer>) text += chunk.toString('utf8');
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return { error: text.trim().slice(0, 200) };
  }
}

function refused(status: number, body: Record<string, unknown>): ReportRefused {
  return new ReportRefused(status, typeof body.error === 'string' && body.error !== '' ? body.error : `HTTP ${status}`);
}
