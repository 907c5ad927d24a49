/**
 * `jest-fast-ci/server`: a FastCI-compatible orchestrator (Phoenix channels
 * over WebSocket) for tests, the demo, and teams that host their own.
 *
 * @example
 * const server = await startServer({ port: 0, secretKeys: ['dev-key'] });
 * process.env.FAST_CI_SERVER = server.url;
 * // ... run the nodes ...
 * await server.close();
 */
import { resolveServerOptions, type ServerOptions } from './options';
import { LocalStore } from './LocalStore';
import { Orchestrator } from './orchestrator-server';
import type { OrchestratorServer } from './types';

export type { ServerOptions } from './options';
export { DEFAULTS as SERVER_DEFAULTS } from './options';
export type { OrchestratorServer, RunSnapshot, NodeSnapshot, FrameRecord, RunMeta, ServerStats } from './types';

/**
 * Starts an orchestrator and resolves once it listens. With `dataDir`, runs
 * journaled there by an earlier server are restored first. Throws TypeError for bad options; rejects
 * with the listen error (e.g. EADDRINUSE).
 */
export async function startServer(options: ServerOptions): Promise<OrchestratorServer> {
  const resolved = resolveServerOptions(options);
  const store = new LocalStore(resolved);
  let secret: Buffer;
  try {
    secret = await store.keySecret();
  } catch (error) {
    await store.close();
    throw error;
  }
  const server = new Orchestrator(resolved, store, secret);
  try {
    await server.listen();
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}
