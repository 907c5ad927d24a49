/**
 * The whole-run report endpoints of the orchestrator (extension; see
 * src/server/http/reportHttp.ts): records go up as NDJSON in a POST, the run's
 * come down as a stream. Plain HTTP(S) to the same host and port as the
 * socket, with the key in an Authorization header, never in the URL.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
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

export class ReportClient {
  readonly #url: URL;
  readonly #key: string;
  readonly #safeUrl: string;

  constructor(config: FastCiConfig) {
    if (!config.secretKey) throw new TypeError('ReportClient needs a config with a secret key');
    const base = new URL(config.server.replace(/^ws/, 'http'));
    this.#url = new URL(`/test_orchestrators/reports/${encodeURIComponent(config.runKey)}/${encodeURIComponent(config.buildId)}`, base);
    this.#url.searchParams.set('node_id', config.nodeId);
    this.#key = config.secretKey;
    this.#safeUrl = redact(this.#url.origin, this.#key);
  }

  /** Sends records (encodeRecord text); resolves with how many the server stored. Rejects with ReportRefused or a FastCiError. */
  async upload(records: string): Promise<number> {
    const res = await this.#request('POST', this.#url, records);
    const body = await readJson(res);
    if (res.statusCode !== 200) throw refused(res.statusCode ?? 0, body);
    return typeof body.stored === 'number' ? body.stored : 0;
  }

  /**
   * Fetches the records of the run's other nodes: the server waits up to
   * `waitMs` for records still on their way. Resolves once the stream ends.
   */
  async download(waitMs: number): Promise<ReceivedRecord[]> {
    const url = new URL(this.#url);
    url.searchParams.set('wait', String(Math.ceil(waitMs / 1000)));
    const res = await this.#request('GET', url);
    if (res.statusCode !== 200) throw refused(res.statusCode ?? 0, await readJson(res));
    const records: ReceivedRecord[] = [];
    const splitter = new LineSplitter();
    let header: ReportHeader | undefined;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      for (const line of splitter.push(chunk)) {
        if (header === undefined) header = JSON.parse(line.toString('utf8')) as ReportHeader;
        else {
          records.push({ header, body: line });
          header = undefined;
        }
      }
    }
    if (header !== undefined || splitter.pending > 0) {
      throw new FastCiError(ErrorCodes.PROTOCOL, `The orchestrator at ${this.#safeUrl} ended the run's reports in the middle of a record.`);
    }
    return records;
  }

  #request(method: 'GET' | 'POST', url: URL, body?: string): Promise<IncomingMessage> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body) }),
        },
        agent: false,
      });
      req.on('response', resolve);
      req.on('error', error => reject(new FastCiError(ErrorCodes.UNREACHABLE, `Could not reach the orchestrator's reports at ${this.#safeUrl}: ${redact(error.message, this.#key)}`)));
      req.end(body);
    });
  }
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
