/**
 * Whole-run reports in Redis, beside the run's events, so a node can fetch
 * from any server what other nodes sent to any other. One hash per run:
 * field `<node>:<id>`, value the header line then the body, as the node
 * sent them (never parsed here). The run's and the node's byte budgets are
 * checked and spent in one Lua script; the reports expire with the run.
 */
import { nodeLimit, runLimit, type ReportHeader } from '../../protocol/reports';
import { KeyedListeners } from './KeyedListeners';
import type { RedisKeys } from './RedisKeys';
import type { RedisCommands } from './redisScripts';
import type { ReportStorage } from './types';

export interface RedisReportOptions {
  readonly ttlMs: number;
  readonly maxReportBytesPerRun: number;
  readonly maxReportBytesPerNode: number;
}

export class RedisReportStorage implements ReportStorage {
  readonly #redis: RedisCommands;
  readonly #keys: RedisKeys;
  readonly #options: RedisReportOptions;
  /** Listeners of this server: a waiting GET here also polls, for records sent to another server. */
  readonly #listeners = new KeyedListeners();

  constructor(redis: RedisCommands, keys: RedisKeys, options: RedisReportOptions) {
    this.#redis = redis;
    this.#keys = keys;
    this.#options = options;
  }

  async add(runId: string, header: ReportHeader, body: Buffer): Promise<string | undefined> {
    const { reports, reportBytes, reportNodeBytes } = this.#keys.run(runId);
    const value = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]);
    const { maxReportBytesPerRun, maxReportBytesPerNode, ttlMs } = this.#options;
    const stored = await this.#redis.fastciAddReport(reports, reportBytes, reportNodeBytes, `${header.node}:${header.id}`, value, maxReportBytesPerRun, ttlMs, header.node, maxReportBytesPerNode);
    if (stored === 0) return runLimit(maxReportBytesPerRun);
    if (stored === -1) return nodeLimit(maxReportBytesPerNode);
    this.#listeners.emit(runId);
    return undefined;
  }

  async get(runId: string, id: string, node: number): Promise<{ header: ReportHeader; body: Buffer } | undefined> {
    const value = await this.#redis.hgetBuffer(this.#keys.run(runId).reports, `${node}:${id}`);
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
}
