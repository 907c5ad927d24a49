/** `jest-fast-ci serve` as users run it: the built CLI in a child process. */
import path from 'node:path';
import WebSocket from 'ws';
import { REPO, until } from './helpers/jestNodes';
import { startChild } from './helpers/processes';

/** The integration project's globalSetup builds dist/ once, before any test. */
const CLI = path.join(REPO, 'dist/cli.js');

function serve(args: string[], env: NodeJS.ProcessEnv) {
  return startChild(process.execPath, [CLI, ...args], { cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env } });
}

describe('jest-fast-ci merge', () => {
  it('exits 2 naming the usage when a blob path does not exist, whether Jest arguments follow with or without --', async () => {
    for (const args of [['merge', 'no-such-blobs/', '--ci'], ['merge', 'no-such-blobs/', '--', '--ci']]) {
      const outcome = await serve(args, {}).done;
      expect(outcome).toExitWith(2);
      expect(outcome.output.trim()).toBe('jest-fast-ci merge: no-such-blobs/ is neither a blob file nor a directory of them; usage: jest-fast-ci merge <blob dir or files>... [jest arguments].');
    }
  });
});

describe('jest-fast-ci serve', () => {
  it('exits 2 with a clear message when no key is given', async () => {
    const outcome = await serve(['serve', '--port', '0'], {}).done;
    expect(outcome).toExitWith(2);
    expect(outcome.output).toContain('No secret key');
  });

  it('prints FAST_CI_SERVER, serves, and closes sockets with 1012 then exits 0 on SIGTERM', async () => {
    const child = serve(['serve', '--port', '0'], { FAST_CI_SECRET_KEY: 'cli-secret', FAST_CI_VIEW_TOKEN: 'cli-view-token-0123', DEBUG: 'jest-fast-ci:server:*' });
    const url = await until(() => /^FAST_CI_SERVER=(ws:\/\/127\.0\.0\.1:\d+)$/m.exec(child.output())?.[1], 'the CLI to print its URL');
    // The key's parameter name percent-encoded: still the key, and still never logged.
    const ws = new WebSocket(`${url}/test_orchestrators/socket/websocket?secret%5Fkey=cli-secret&vsn=2.0.0`);
    await new Promise(resolve => ws.once('open', resolve));
    const closed = new Promise<number>(resolve => ws.once('close', code => resolve(code)));
    child.child.kill('SIGTERM');
    expect(await closed).toBe(1012);
    const outcome = await child.done;
    expect(outcome).toExitWith(0);
    expect(outcome.output).toContain('secret_key=[redacted]');
    expect(outcome.output).not.toContain('cli-secret');
    expect(outcome.output).toContain(`jest-fast-ci: dashboard at ${url.replace('ws:', 'http:')}/ (sign in with a secret key or the view token)`);
    expect(outcome.output).not.toContain('cli-view-token-0123');
  });
});
