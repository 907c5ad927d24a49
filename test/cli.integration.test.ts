import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { parseCli } from '../../src/cli';
import { ErrorCodes } from '../../src/errors';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

describe('parseCli', () => {
  it('reads flags and keys from both flags and FAST_CI_SECRET_KEY', () => {
    expect(parseCli(['serve', '--port', '0', '--host=0.0.0.0', '--secret-key', 'a', '--lease-timeout', '90', '--data-dir', '/tmp/d'], { FAST_CI_SECRET_KEY: 'b, c' })).toEqual({
      kind: 'serve',
      options: { port: 0, host: '0.0.0.0', secretKeys: ['a', 'b', 'c'], leaseTimeoutMs: 90_000, dataDir: '/tmp/d' },
    });
    expect(parseCli(['--help'], {})).toEqual({ kind: 'help' });
  });

  it.each([
    [['serve'], /No secret key: set FAST_CI_SECRET_KEY/],
    [['serve', '--port', 'x', '--secret-key', 'k'], /--port must be a whole number from 0 to 65535, got "x"/],
    [['serve', '--secret-key'], /--secret-key needs a value/],
    [['serve', '--nope'], /Unknown option "--nope"/],
    [['start'], /Unknown command "start"/],
  ])('rejects %j with a config error', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG, message: expect.stringMatching(message) }));
  });
});

describe('jest-fast-ci serve', () => {
  beforeAll(() => {
    const sources = [path.join(root, 'src/cli.ts'), path.join(root, 'src/server/orchestrator-server.ts')];
    if (!existsSync(cli) || sources.some(s => statSync(s).mtimeMs > statSync(cli).mtimeMs)) {
      execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
    }
  }, 120_000);

  it('exits 2 with a clear message when no key is given', () => {
    const result = spawnSync(['serve', '--port', '0'], {});
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('No secret key');
  });

  it('prints FAST_CI_SERVER, serves, and closes sockets with 1012 then exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0'], {
      env: { ...process.env, FAST_CI_SECRET_KEY: 'cli-secret', DEBUG: 'jest-fast-ci:server:*' },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', chunk => (stderr += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', chunk => {
        stdout += chunk;
        const match = /^FAST_CI_SERVER=(ws:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout);
        if (match) resolve(match[1]);
      });
      child.on('exit', code => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const ws = new WebSocket(`${url}/test_orchestrators/socket/websocket?secret_key=cli-secret&vsn=2.0.0`);
    await new Promise(resolve => ws.once('open', resolve));
    const closed = new Promise<number>(resolve => ws.once('close', code => resolve(code)));
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
    child.kill('SIGTERM');
    expect(await closed).toBe(1012);
    expect(await exited).toBe(0);
    expect(stderr).toContain('secret_key=[redacted]');
    expect(stderr + stdout).not.toContain('cli-secret');
  });
});

function spawnSync(argv: string[], env: Record<string, string>): { status: number | null; stderr: string } {
  try {
    execFileSync(process.execPath, [cli, ...argv], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'pipe' });
    return { status: 0, stderr: '' };
  } catch (error) {
    const e = error as { status: number | null; stderr: Buffer };
    return { status: e.status, stderr: e.stderr.toString() };
  }
}
