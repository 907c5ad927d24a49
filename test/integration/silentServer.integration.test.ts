/**
 * A server that goes silent mid-run (SIGSTOP: a paused VM, a stuck event
 * loop) must not keep a node alive: the node notices (heartbeats), falls
 * back for what is left, and exits, on Jest 30 and 29. Nothing waits on the
 * frozen server: not the socket, not a report upload or download.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Gates } from '../helpers/gates';
import { fixture, REPO, startJestNode, until } from '../helpers/jestNodes';
import { startChild, type TrackedChild } from '../helpers/processes';

const KEY = 'silent-server-secret-41c9';
const CLI = path.join(REPO, 'dist/cli.js');
const JEST29 = path.join(REPO, 'test/compat/jest29/node_modules/jest/bin/jest.js');

async function serve(): Promise<{ child: TrackedChild; url: string }> {
  const child = startChild(process.execPath, [CLI, 'serve', '--port', '0'], { cwd: REPO, env: { PATH: process.env.PATH ?? '', FAST_CI_SECRET_KEY: KEY } });
  const url = await until(() => /^FAST_CI_SERVER=(ws:\/\/127\.0\.0\.1:\d+)$/m.exec(child.output())?.[1], 'the server to print its URL');
  return { child, url };
}

describe.each([
  ['Jest 30', undefined],
  ['Jest 29', JEST29],
])('a server stopped mid-run (%s)', (_name, jestBin) => {
  it('leaves the node to fall back and exit, with whole-run reporting on', async () => {
    const { child: server, url } = await serve();
    const gates = new Gates();
    try {
      const node = startJestNode({
        cwd: fixture('gated'),
        jestBin,
        env: {
          FAST_CI_SECRET_KEY: KEY,
          FAST_CI_SERVER: url,
          FAST_CI_BUILD_ID: randomUUID(),
          FAST_CI_NODE_ID: 'silent',
          FAST_CI_HEARTBEAT_INTERVAL: '1',
          FAST_CI_RECONNECT_TIMEOUT: '3',
          ...gates.env,
        },
      });
      // Stopped while the node holds a file: its result, and a report upload, have nowhere to go.
      await gates.startedBy('silent');
      server.signal('SIGSTOP');
      gates.openAll();
      const outcome = await node.done;
      expect(outcome).toExitWith(0);
      expect(outcome.output).toContain('could not restore it within 3s');
      expect(outcome.output).toMatch(/FALLBACK, not orchestrated: 8 files here/);
      expect(outcome.output).toMatch(/Tests: +8 passed, 8 total/);
      expect(outcome.output).not.toContain('Jest did not exit one second after the test run has completed');
    } finally {
      server.signal('SIGCONT');
      server.signal('SIGKILL');
      gates.remove();
    }
  });
});
