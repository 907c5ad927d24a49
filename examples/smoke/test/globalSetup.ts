import type { Server } from 'node:http';
import { startService } from '../service';

declare global {
  // Shared with globalTeardown (same process).
  var __SMOKE_SERVER__: Server | undefined;
}

/**
 * With SMOKE_BASE_URL set (the post-deploy case) the suite checks that URL and
 * starts nothing. Otherwise it starts the example service on 127.0.0.1 with a
 * little latency per response, like a service across a network, and exports
 * its URL to the test processes through the environment.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.SMOKE_BASE_URL) return;
  const latencyMs = Number(process.env.SMOKE_LATENCY_MS ?? 25);
  const { server, baseUrl } = await startService({ latencyMs });
  globalThis.__SMOKE_SERVER__ = server;
  process.env.SMOKE_BASE_URL = baseUrl;
}
