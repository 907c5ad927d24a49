/**
 * `jest-fast-ci/server`: a FastCI-compatible orchestrator (Phoenix channels
 * over WebSocket) for tests, the demo, and teams that host their own.
 *
 * @example
 * const server = await startServer({ port: 0, secretKeys: ['a-long-random-key'] });
 * process.env.FAST_CI_SERVER = server.url;
 * // ... run the nodes ...
 * await server.close();
 */
import { resolveServerOptions, type ServerOptions } from './options';
import { LocalStores } from './store/LocalStores';
import { RedisStores } from './store/RedisStores';
import type { Stores } from './store/types';
import { Orchestrator } from './http/Orchestrator';
import type { OrchestratorServer } from './types';

export type { ServerOptions } from './options';
export { DEFAULTS as SERVER_DEFAULTS } from './options';
export type { OrchestratorServer, RunSnapshot, NodeSnapshot, FrameRecord, RunMeta, ServerStats } from './types';

/**
 * Starts an orchestrator and resolves once it listens. With `dataDir`, runs
 * journaled there by an earlier server are restored first; with `redis`,
 * it connects first (and rejects, naming the URL without its password,
 * when Redis does not answer). Throws TypeError for bad options; rejects
 * with the listen error (e.g. EADDRINUSE).
 */
export async function startServer(options: ServerOptions): Promise<OrchestratorServer> {
  const resolved = resolveServerOptions(options);
  const testWindow = { runs: resolved.testHistoryRuns, days: resolved.testHistoryDays };
  const stores: Stores =
    resolved.redis === undefined
      ? new LocalStores({ ...resolved, testWindow })
      : await RedisStores.connect({
          testWindow,
          url: resolved.redis,
          prefix: resolved.redisPrefix,
          ttlMs: resolved.finishedRunTtlMs,
          maxReportBytesPerRun: resolved.maxReportBytesPerRun,
          maxReportBytesPerNode: resolved.maxReportBytesPerNode,
          warn: resolved.warn,
        });
  let secret: Buffer;
  try {
    secret = await stores.keySecret();
  } catch (error) {
    await stores.close();
    throw error;
  }
  const server = new Orchestrator(resolved, stores, secret);
  try {
    await server.listen();
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}
