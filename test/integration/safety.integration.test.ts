/**
 * Never a false green, never a hang, never a cascade: the situations of the
 * safety issue, each with real jest nodes and the real server (issue 9).
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pendingEntry } from '../../src/protocol/entries';
import { startServer, type OrchestratorServer, type ServerOptions } from '../../src/server';
import { joinBareNode } from '../helpers/bareNode';
import { eventOf, startFrameProxy, withoutExtensions, type FrameProxy } from '../helpers/frameProxy';
import { Gates, startGatedNodes } from '../helpers/gates';
import { filesRun, fixture, fixtureFiles, REPO, runJestNode, startJestNode, until, type JestNodeOptions } from '../helpers/jestNodes';
import { startChild } from '../helpers/processes';

const KEY = 'safety-secret-2d8e';
const JEST29 = path.join(REPO, 'test/compat/jest29/node_modules/jest/bin/jest.js');
const basicFiles = fixtureFiles('basic');

let server: OrchestratorServer | undefined;
let proxy: FrameProxy | undefined;
let gates: Gates | undefined;

async function serve(options: Partial<ServerOptions> = {}): Promise<OrchestratorServer> {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], ...options });
  return server;
}

afterEach(async () => {
  await proxy?.close();
  await server?.close();
  gates?.remove();
  [server, proxy, gates] = [undefined, undefined, undefined];
});

function env(url: string, buildId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: url, FAST_CI_BUILD_ID: buildId, ...gates?.env, ...extra };
}

describe('a node never passes having silently skipped files', () => {
  it('node 0 started with a path filter: a node that found more files fails, naming them and the likely cause', async () => {
    const s = await serve();
    const buildId = randomUUID();
    // Node 0 runs `jest test/file0`: 9 of the 12 files.
    const zero = await runJestNode({ cwd: fixture('basic'), env: env(s.url, buildId), args: ['test/file0'] });
    expect(zero).toExitWith(0);
    expect(Object.keys(s.run(buildId)!.enqueued)).toHaveLength(9);
    const other = await runJestNode({ cwd: fixture('basic'), env: env(s.url, buildId) });
    expect(other).toExitWith(1);
    expect(other.output).toContain(
      "jest-fast-ci: this node's test files differ from the run's: 3 of the 12 test files this node found are not in the run, so no node runs them " +
        '(test/file10.test.js, test/file11.test.js, test/file12.test.js). Likely cause: different arguments or config on different shards.',
    );
  });

  it('outside CI, a second local run at the same commit is a run of its own, not the finished first one', async () => {
    const s = await serve();
    const local = { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: s.url };
    for (const attempt of [1, 2]) {
      const node = await runJestNode({ cwd: fixture('basic'), env: local });
      expect({ attempt, code: node.code }).toEqual({ attempt, code: 0 });
      expect(node.output).toContain('jest-fast-ci: no CI detected and FAST_CI_BUILD_ID is not set, so this node is a run of its own.');
      expect(node.output).toMatch(/ran 12 of 12 files here/);
    }
    expect(s.runs()).toHaveLength(2);
  });

  it('the same id twice in one reply runs once; a reply of 100,000 ids fails the node before it runs any', async () => {
    const s = await serve();
    proxy = await startFrameProxy(s.url);
    // First run: the first batch comes with every id twice.
    let doubled = false;
    proxy.onFrame(frame => {
      if (doubled || frame.direction !== 'down' || eventOf(frame) !== 'deq' || frame.message.payload.response.tests.length === 0) return 'forward';
      doubled = true;
      const tests: string[] = frame.message.payload.response.tests;
      return { replace: JSON.stringify({ ...frame.message, payload: { ...frame.message.payload, response: { event: 'deq', tests: [...tests, ...tests] } } }) };
    });
    const buildId = randomUUID();
    const node = await runJestNode({ cwd: fixture('basic'), env: env(proxy.url, buildId) });
    expect(node).toExitWith(0);
    expect(doubled).toBe(true);
    expect(filesRun(node.output).sort()).toEqual(basicFiles);

    // Second run: the first batch is 100,000 ids.
    proxy.onFrame(frame => {
      if (frame.direction !== 'down' || eventOf(frame) !== 'deq' || frame.message.payload.response.tests.length === 0) return 'forward';
      const tests = Array.from({ length: 100_000 }, (_, i) => `test/flood-${i}.test.js`);
      return { replace: JSON.stringify({ ...frame.message, payload: { ...frame.message.payload, response: { event: 'deq', tests } } }) };
    });
    const flooded = await runJestNode({ cwd: fixture('basic'), env: env(proxy.url, randomUUID()) });
    expect(flooded).toExitWith(1);
    expect(flooded.output).toContain('jest-fast-ci: the orchestrator handed this node 100000 test files in one batch, more than the 12 this node has.');
    expect(filesRun(flooded.output)).toEqual([]);
  });

  it('__proto__ and constructor as test ids: handed to a node that lacks them, both are reported, and the run finishes', async () => {
    const s = await serve();
    const buildId = randomUUID();
    const odd = ['__proto__', 'constructor', 'toString'];
    const zero = await joinBareNode(s.url, KEY, buildId);
    const tests = Object.fromEntries([...basicFiles, ...odd].map(id => [id, pendingEntry()]));
    await zero.push('enq', { tests });
    // Without the file-set check (an orchestrator without the extension), the node runs what it is handed.
    proxy = await startFrameProxy(s.url);
    proxy.onFrame(withoutExtensions);
    const node = await runJestNode({ cwd: fixture('basic'), env: env(proxy.url, buildId) });
    await zero.disconnect();
    expect(node).toExitWith(1);
    const run = await s.waitForRun(buildId);
    for (const id of odd) expect(run.results[id]).toMatchObject({ nodeIndex: 1, entry: { file_status: 'failed' } });
    expect(Object.keys(run.results)).toHaveLength(15);
  });
});

describe('every wait has a bound', () => {
  it('a server stopped (SIGSTOP) after the first batch: the node falls back within the reconnect timeout plus a heartbeat', async () => {
    const cli = startChild(process.execPath, [path.join(REPO, 'dist/cli.js'), 'serve', '--port', '0'], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', FAST_CI_SECRET_KEY: KEY },
    });
    const url = await until(() => /FAST_CI_SERVER=(\S+)/.exec(cli.output())?.[1], 'the server to listen');
    gates = new Gates();
    const node = startJestNode({
      cwd: fixture('gated'),
      env: env(url, randomUUID(), { FAST_CI_NODE_ID: 'node-a', FAST_CI_HEARTBEAT_INTERVAL: '1', FAST_CI_RECONNECT_TIMEOUT: '2', FAST_CI_NODE_INDEX: '0', FAST_CI_NODE_TOTAL: '1' }),
      args: ['--maxWorkers=2'],
    });
    await gates.startedBy('node-a');
    // Stopped, not gone: the TCP connection stays open and nothing ever answers on it.
    cli.signal('SIGSTOP');
    gates.openAll();
    const outcome = await node.done;
    expect(outcome).toExitWith(0);
    expect(outcome.output).toContain('jest-fast-ci: WARNING: fallback mode. Lost the connection to the orchestrator');
    expect(outcome.output).toContain('the orchestrator stopped answering heartbeats');
    expect(new Set(filesRun(outcome.output))).toEqual(new Set(fixtureFiles('gated')));
  });

  describe.each([
    ['Jest 30', undefined],
    ['Jest 29', JEST29],
  ])('--bail on %s', (_jest, jestBin) => {
    it('stops the run, not one node: the other node drops what it holds and both exit 1 within seconds', async () => {
      // A grace longer than any child may live: a node that did not leave would hold its files past the test.
      const s = await serve({ reconnectGraceMs: 600_000 });
      const g = (gates = new Gates());
      const buildId = randomUUID();
      // Each node reports its own files: the other node's Jest sees no failure of its own, and still exits 1.
      // A fresh Jest cache: with last run's timings Jest would choose to run in band (one file at a time, next one
      // asked for early), and the failing file could wait behind a held one on its node.
      const cache = mkdtempSync(path.join(tmpdir(), 'jest-fast-ci-bail-cache-'));
      const options = (id: string): JestNodeOptions => ({
        cwd: fixture('bail'),
        env: env(s.url, buildId, { FAST_CI_NODE_ID: id, FAST_CI_REPORT: 'node' }),
        args: ['--bail', '--maxWorkers=2', `--cacheDirectory=${cache}`],
        jestBin,
      });
      const nodes = { a: startJestNode(options('node-a')), b: startJestNode(options('node-b')) };
      await until(() => (s.run(buildId)?.nodes.length === 2 ? true : undefined), 'both nodes to join');
      // The failing file fails as soon as it starts; the others hold their nodes until let through, one at a time
      // (each to its result), only until the failing file is handed out: when it fails, the nodes still hold files the run never gets.
      g.open('fails');
      const handedFails = (): boolean => {
        const run = s.run(buildId);
        return run?.leased['test/fails.test.js'] !== undefined || run?.results['test/fails.test.js'] !== undefined;
      };
      const opened = new Set<string>();
      while (!handedFails()) {
        const next = await until(() => (handedFails() ? 'fails' : g.started().find(started => started.name !== 'fails' && !opened.has(started.name))?.name), 'a file to start');
        if (next === 'fails') break;
        opened.add(next);
        g.open(next);
        await until(() => (s.run(buildId)?.results[`test/${next}.test.js`] !== undefined ? true : undefined), `${next}'s result`);
      }
      const [a, b] = await Promise.all([nodes.a.done, nodes.b.done]);
      const run = await s.waitForRun(buildId);
      expect(run.summary).toMatchObject({ failed: 1, stopped: 'bail' });
      expect(run.summary.not_run).toBeGreaterThan(0);
      expect(Object.keys(run.results).length + run.summary.not_run!).toBe(7);
      const failer = run.results['test/fails.test.js']!.nodeIndex;
      const [bailed, other] = run.nodes[failer]!.nodeId === 'node-a' ? [a, b] : [b, a];
      expect(bailed).toExitWith(1);
      expect(bailed.output).toMatch(/fails on purpose/);
      expect(other).toExitWith(1);
      expect(other.output).toMatch(/exiting 1: the run stopped after 1 failed file \(--bail\); \d+ files? (was|were) not run/);
    });
  });

  it('a run cancelled through the API with its key stops every node, which exits 1 at once; the view token cannot cancel', async () => {
    const s = await serve({ viewToken: 'safety-view-token-0123' });
    gates = new Gates();
    const buildId = randomUUID();
    const nodes = startGatedNodes(gates, s.url, KEY, buildId);
    // Both nodes hold files that never finish on their own.
    await Promise.all([gates.startedBy('node-a'), gates.startedBy('node-b')]);
    const cancel = (credential: string) =>
      fetch(`${s.dashboardUrl!}api/runs/jest/${buildId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${credential}` } });
    expect((await cancel('safety-view-token-0123')).status).toBe(403);
    expect((await cancel('not-a-key')).status).toBe(401);
    expect(await (await cancel(KEY)).json()).toEqual({ cancelled: true });
    for (const outcome of await Promise.all(nodes.map(n => n.done))) {
      expect(outcome).toExitWith(1);
      expect(outcome.output).toMatch(/exiting 1: the run was cancelled; \d+ files were not run/);
    }
    const run = await s.waitForRun(buildId);
    expect(run.summary).toMatchObject({ stopped: 'cancelled', files: 0, not_run: 8 });
    expect((await cancel(KEY)).status).toBe(409);
  });

  it('300 stalled handshakes do not starve a real run or /health', async () => {
    const s = await serve({ maxPendingConnections: 50 });
    const stalled: Socket[] = [];
    for (let i = 0; i < 300; i += 1) {
      const socket = connect(s.port, '127.0.0.1');
      socket.on('error', () => undefined);
      // Half a request line, then nothing: a slow client, or an attack.
      socket.write('GET /test_orchestrators/socket/websocket?secret_key=');
      stalled.push(socket);
    }
    try {
      await until(() => (stalled.filter(socket => socket.destroyed).length >= 250 ? true : undefined), 'the oldest stalled handshakes to be cut');
      const health = await new Promise<number>((resolve, reject) =>
        request({ host: '127.0.0.1', port: s.port, path: '/health', agent: false }, res => resolve(res.statusCode ?? 0)).on('error', reject).end(),
      );
      expect(health).toBe(200);
      const buildId = randomUUID();
      expect(await runJestNode({ cwd: fixture('basic'), env: env(s.url, buildId) })).toExitWith(0);
      expect(Object.keys(s.run(buildId)!.results)).toHaveLength(12);
    } finally {
      for (const socket of stalled) socket.destroy();
    }
  });
});

describe('one bad file does not take down every node', () => {
  it('a file that kills the process running it is recorded as failed after it took down 2 nodes; the survivor names it', async () => {
    const s = await serve({ reconnectGraceMs: 300 });
    const buildId = randomUUID();
    // In band, as Jest runs on a 2-core CI machine: the file takes the whole node with it (its worker kills it).
    // Each node reports its own files: the survivor passes for what it ran (with the whole run reported, it would fail for the crash).
    const nodes = await Promise.all(
      ['a', 'b', 'c'].map(id => runJestNode({ cwd: fixture('crashing'), env: env(s.url, buildId, { FAST_CI_NODE_ID: id, FAST_CI_REPORT: 'node' }), args: ['--runInBand'] })),
    );
    const run = await s.waitForRun(buildId);
    const crash = run.results['test/crash.test.js']!;
    expect(crash.entry.file_status).toBe('failed');
    expect(String(crash.entry.failure_message)).toMatch(/^jest-fast-ci: this file was running on nodes \d and \d when each of them died \(process\.exit\(\) in a test/);
    expect(run.summary).toMatchObject({ files: 5, failed: 1, passed: 4, crashed: ['test/crash.test.js'] });
    const survivors = nodes.filter(n => n.code === 0);
    if (survivors.length !== 1) throw new Error(nodes.map(n => `exit ${n.code}:\n${n.output.slice(-1500)}`).join('\n----\n'));
    expect(survivors[0]!.output).toContain(
      'jest-fast-ci ▸ crashed: 1 file took down every node that ran it (process.exit, a native crash, out of memory) and was recorded as failed: test/crash.test.js',
    );
    expect(nodes.filter(n => n.code !== 0)).toHaveLength(2);
  });
});

describe('multi-project configs', () => {
  const projectFiles = ['api:api/api1.test.js', 'api:api/api2.test.js', 'api:api/api3.test.js', 'web:web/web1.test.js', 'web:web/web2.test.js', 'web:web/web3.test.js'];

  it('runner at the root of a projects config: Jest ignores it; the reporter says so and what to do instead', async () => {
    const s = await serve();
    const node = await runJestNode({ cwd: fixture('projects'), env: env(s.url, randomUUID(), { PROJECTS_FIXTURE: 'root' }) });
    expect(node).toExitWith(0);
    expect(node.output).toContain(
      'jest-fast-ci ▸ WARNING: FAST_CI_SECRET_KEY is set, but every file ran here, on every node: none of the 2 projects uses the jest-fast-ci runner. ' +
        'With projects, runner is a per-project option and Jest ignores it at the root',
    );
    expect(node.output).toContain("withFastCi({ projects: [...] })");
    expect(s.runs()).toEqual([]);
  });

  it('the runner in one project only: the others are named, and not counted as this node\'s share', async () => {
    const s = await serve();
    const buildId = randomUUID();
    const node = await runJestNode({ cwd: fixture('projects'), env: env(s.url, buildId, { PROJECTS_FIXTURE: 'partial' }) });
    expect(node).toExitWith(0);
    expect(node.output).toContain('ran 3 of 3 files here');
    expect(node.output).toContain('jest-fast-ci ▸ WARNING: 1 of 2 projects (web) does not use the jest-fast-ci runner: its files ran on every node, and are not counted here.');
  });

  it('withFastCi puts the runner in every project: two nodes run each file of both projects once', async () => {
    const s = await serve();
    const buildId = randomUUID();
    const nodes = await Promise.all([0, 1].map(() => runJestNode({ cwd: fixture('projects'), env: env(s.url, buildId, { PROJECTS_FIXTURE: 'wrapped' }) })));
    for (const node of nodes) expect(node).toExitWith(0);
    const run = await s.waitForRun(buildId);
    expect(Object.keys(run.results).sort()).toEqual(projectFiles);
    expect(nodes.map(n => n.output).join('\n')).not.toContain('WARNING');
  });
});
