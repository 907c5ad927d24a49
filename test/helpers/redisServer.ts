/**
 * A real redis-server (the Debian package) on a free loopback port, with
 * its data in a temporary directory. `npm test`'s pretest installs the
 * package when it is missing; a test run without it fails with a message
 * naming it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops it (SIGTERM: with AOF on, what was written is on disk). */
  stop(): Promise<void>;
  /** Kills it without a chance to write anything more. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (after stop or kill). */
  restart(): Promise<void>;
  /** Stops it and deletes its directory. */
  dispose(): Promise<void>;
}

export interface RedisServerOptions {
  /** Append-only file, fsync on every write: a restart loses nothing acknowledged. @default false */
  readonly appendOnly?: boolean;
}

export function redisServerPath(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (found === '') throw new Error('redis-server is not installed: install the Debian package "redis-server" (npm test installs it: apt-get install -y redis-server)');
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = redisServerPath();
  const dir = mkdtempSync(path.join(tmpdir(), 'fast-ci-redis-'));
  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', options.appendOnly === true ? 'yes' : 'no',
    '--appendfsync', 'always',
    '--daemonize', 'no',
    '--loglevel', 'notice',
  ];
  let child: ChildProcess | undefined;

  const launch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const started = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      let output = '';
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          started.stdout!.off('data', onData);
          resolve();
        }
      };
      started.stdout!.on('data', onData);
      started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      started.once('exit', code => reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`)));
      started.once('error', reject);
    });

  const waitExit = (signal: NodeJS.Signals): Promise<void> =>
    new Promise(resolve => {
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return resolve();
      running.once('exit', () => resolve());
      running.kill(signal);
    });

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    restart: launch,
    dispose: async () => {
      await waitExit('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
