/**
 * Whole-run reports in Redis, beside the run's events, so a node can fetch
 * from any server what other nodes sent to any other. One hash per run:
 * field `<node>:<id>`, value the header line then the body, as the node
 * sent them (never parsed here). The run's byte budget is checked and
 * spent in one Lua script; the reports expire with the run.
 */
import type { Redis as RedisClient } from 'ioredis';
import type { ReportHeader } from '../../protocol/reports';
import { KeyedListeners } from './KeyedListeners';
import type { ReportStorage } from './LocalReportStorage';

/** KEYS: reports, bytes. ARGV: field, value, limit, ttl ms. → 1 stored, 0 over the run's limit. */
const ADD = `
local size = string.len(ARGV[2]) - redis.call('HSTRLEN', KEYS[1], ARGV[1])
local total = tonumber(redis.call('GET', KEYS[2]) or '0')
if total + size > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCRBY', KEYS[2], size)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1`;

export interface RedisReportOptions {
  readonly prefix: string;
  readonly ttlMs: number;
  readonly maxReportBytesPerRun: number;
  /** The run's hash tag (RedisStore's), so its reports sit beside its events. */
  readonly tagOf: (runId: string) => string;
}

type Commands = RedisClient & {
  fastciAddReport(reports: string, bytes: string, field: string, value: Buffer, limit: number, ttl: number): Promise<number>;
};

export class RedisReportStorage implements ReportStorage {
  readonly #redis: Commands;
  readonly #options: RedisReportOptions;
  /** Listeners of this server: a waiting GET here also polls, for records sent to another server. */
  readonly #listeners = new KeyedListeners();

  constructor(redis: RedisClient, options: RedisReportOptions) {
    this.#redis = redis as Commands;
    this.#options = options;
    redis.defineCommand('fastciAddReport', { numberOfKeys: 2, lua: ADD });
  }

  async add(runId: string, header: ReportHeader, body: Buffer): Promise<string | undefined> {
    const { reports, bytes } = this.#keys(runId);
    const value = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]);
    const stored = await this.#redis.fastciAddReport(reports, bytes, `${header.node}:${header.id}`, value, this.#options.maxReportBytesPerRun, this.#options.ttlMs);
    if (stored === 0) return `this run's reports would pass the server's limit of ${this.#options.maxReportBytesPerRun} bytes (maxReportBytesPerRun)`;
    this.#listeners.emit(runId);
    return undefined;
  }

  async get(runId: string, id: string, node: number): Promise<{ header: ReportHeader; body: Buffer } | undefined> {
    const value = await this.#redis.hgetBuffer(this.#keys(runId).reports, `${node}:${id}`);
    if (value === null) return undefined;
    const newline = value.indexOf(10);
    return { header: JSON.parse(value.subarray(0, newline).toString('utf8')) as ReportHeader, body: value.subarray(newline + 1) };
  }

  onAdded(runId: string, listener: () => void): () => void {
    return this.#listeners.add(runId, listener);
  }

  /** Expires with the run. */
  async forget(): Promise<void> {
    return undefined;
  }

  #keys(runId: string): { reports: string; bytes: string } {
    const tag = `{${this.#options.tagOf(runId)}}`;
    return { reports: `${this.#options.prefix}run:${tag}:reports`, bytes: `${this.#options.prefix}run:${tag}:report-bytes` };
  }
}
