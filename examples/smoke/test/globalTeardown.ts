import { stopService } from '../service';

export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__SMOKE_SERVER__;
  if (!server) return; // we were checking someone else's deployment
  globalThis.__SMOKE_SERVER__ = undefined;
  delete process.env.SMOKE_BASE_URL;
  await stopService(server);
}
