/**
 * The runner and reporter end to end: real `jest` processes on fixture
 * projects against the real embedded server on loopback.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pendingEntry } from '../../src/protocol/entries';
import { fileSetDigest } from '../../src/protocol/fileSet';
import { startServer, type OrchestratorServer } from '../../src/server';
import { joinBareNode, type BareNode } from '../helpers/bareNode';
import { startFrameProxy, withoutExtensions } from '../helpers/frameProxy';
import { filesRun, fixture, fixtureFiles, runJestNode, runJestNodes } from '../helpers/jestNodes';

const KEY = 'integration-secret-7f3a';
const basicFiles = fixtureFiles('basic');

let server: OrchestratorServer;

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], recordFrames: true });
});

afterAll(async () => {
  await server.close();
});

function nodeEnv(buildId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId, ...extra };
}

describe('one node', () => {
  it('runs every file through the orchestrator and records each result on the server', async () => {
    const buildId = randomUUID();
    const node = await runJestNode({ cwd: fixture('basic'), env: nodeEnv(buildId) });
    expect(node).toExitWith(0);
    expect(node.nodeIndex).toBe(0);
    const run = server.run(buildId)!;
    expect(run.state).toBe('finished');
    expect(Object.keys(run.results).sort()).toEqual(basicFiles);
    expect(run.summary).toMatchObject({ files: 12, passed: 12, failed: 0, tests: 36, nodes: 1 });
    expect(node.output).toContain(`jest-fast-ci ▸ node 0 · build ${buildId} · ran 12 of 12 files here (36 tests: 24 passed, 12 skipped)`);
    expect(node.output).toMatch(/Test Suites: 12 passed, 12 total/);
  });

  it('also works in band (--runInBand), without a worker pool', async () => {
    const buildId = randomUUID();
    const node = await runJestNode({ cwd: fixture('basic'), env: nodeEnv(buildId), args: ['--runInBand'] });
    expect(node).toExitWith(0);
    expect(Object.keys(server.run(buildId)!.results)).toHaveLength(12);
    // One file at a time, and the server is told so.
    expect(server.run(buildId)!.nodes[0]!.workers).toBe(1);
  });
});

describe('three nodes at once', () => {
  it('runs every file exactly once across them and each node exits by what it ran (FAST_CI_REPORT=node)', async () => {
    const buildId = randomUUID();
    // No backup copies: on a loaded machine a slow node's file may be copied to an idle one, and then who ran it is not this test's question.
    const nodes = await runJestNodes(3, { cwd: fixture('basic'), env: nodeEnv(buildId, { FAST_CI_REPORT: 'node', FAST_CI_BACKUPS: 'off' }) });
    const run = server.run(buildId)!;
    expect(run.state).toBe('finished');
    expect(Object.keys(run.results).sort()).toEqual(basicFiles);
    for (const node of nodes) expect(node).toExitWith(0);
    expect(nodes.map(n => n.nodeIndex).sort()).toEqual([0, 1, 2]);
    // What each node says it ran is what the server recorded from it, and
    // together the nodes ran each file once.
    for (const node of nodes) {
      const recorded = Object.values(run.results).filter(r => r.nodeIndex === node.nodeIndex).length;
      expect(node.output).toContain(`ran ${recorded} of 12 files here`);
      // A node that started last on a loaded machine may find the queue empty: it ran nothing, and says so.
      if (recorded > 0) expect(node.output).toContain(`Test Suites: ${recorded} passed, ${recorded} total`);
      else expect(node.output).not.toMatch(/^PASS /m);
    }
    expect(run.warnings).toEqual([]);
  });

  it('with whole-run reporting (the default), every node reports the whole run and fails when any file failed, as plain Jest would', async () => {
    const buildId = randomUUID();
    const nodes = await runJestNodes(3, { cwd: fixture('failing'), env: nodeEnv(buildId) });
    const run = await server.waitForRun(buildId);
    expect(run.summary).toMatchObject({ files: 6, failed: 2, passed: 4 });
    for (const node of nodes) {
      expect(node).toExitWith(1);
      expect(node.output).toMatch(/Test Suites: 2 failed, 4 passed, 6 total/);
    }
    const shares = nodes.map(n => Number(/ran (\d+) of 6 files here/.exec(n.output)![1]));
    expect(shares.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('with FAST_CI_REPORT=node, fails only the nodes that ran a failing file', async () => {
    const buildId = randomUUID();
    // No backup copies (as above): each file's result is the one node's that ran it.
    const nodes = await runJestNodes(3, { cwd: fixture('failing'), env: nodeEnv(buildId, { FAST_CI_REPORT: 'node', FAST_CI_BACKUPS: 'off' }) });
    const run = server.run(buildId)!;
    expect(run.summary).toMatchObject({ files: 6, failed: 2, passed: 4 });
    expect(run.results['test/syntax.test.js']!.entry.file_status).toBe('failed');
    expect(String(run.results['test/syntax.test.js']!.entry.failure_message)).toContain("Cannot find module './does-not-exist'");
    for (const node of nodes) {
      const ranFailure = Object.values(run.results).some(r => r.nodeIndex === node.nodeIndex && r.entry.file_status === 'failed');
      expect(node).toExitWith(ranFailure ? 1 : 0);
    }
  });
});

describe('without the orchestrator', () => {
  it('runs everything locally like plain Jest when no key is set, with a one-line notice', async () => {
    const node = await runJestNode({ cwd: fixture('basic'), env: { FAST_CI_SERVER: server.url } });
    expect(node).toExitWith(0);
    expect(node.output).toContain('jest-fast-ci: FAST_CI_SECRET_KEY is not set; running all 12 test files here, like plain Jest.');
    expect(node.output).toMatch(/Test Suites: 12 passed, 12 total/);
  });

  it('fails with a clear error on a wrong key, and never prints the key', async () => {
    const wrong = 'wrong-key-c0ffee';
    const node = await runJestNode({ cwd: fixture('basic'), env: { ...nodeEnv(randomUUID()), FAST_CI_SECRET_KEY: wrong, DEBUG: 'jest-fast-ci:*' } });
    expect(node).toExitWith(1);
    expect(node.output).toContain(`The orchestrator at ${server.url} refused the connection (HTTP 403): the secret key is wrong`);
    expect(node.output).toContain('jest-fast-ci ▸ this node did not complete its part of the run: The orchestrator at');
    expect(node.output).not.toContain(wrong);
  });

  it('fails at once, without falling back, when the server answers the upgrade with another HTTP error', async () => {
    const node = await runJestNode({ cwd: fixture('basic'), env: { ...nodeEnv(randomUUID()), FAST_CI_SERVER: `${server.url}/wrong/path` } });
    expect(node).toExitWith(1);
    expect(node.output).toContain('refused the connection (HTTP 404): there is no orchestrator socket at that address');
    expect(node.output).not.toContain('fallback');
    expect(node.output).not.toContain('PASS');
  });

  it('HTTP 429 refused without fallback: a node over the connection limit fails at once and runs nothing', async () => {
    const limited = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], maxConnectionsPerKey: 1 });
    try {
      const holder = await joinBareNode(limited.url, KEY, randomUUID());
      const node = await runJestNode({ cwd: fixture('basic'), env: { ...nodeEnv(randomUUID()), FAST_CI_SERVER: limited.url, FAST_CI_NODE_TOTAL: '2', FAST_CI_NODE_INDEX: '0' } });
      await holder.disconnect();
      expect(node).toExitWith(1);
      expect(node.output).toContain(`The orchestrator at ${limited.url} refused the connection (HTTP 429): it has too many connections for this key`);
      expect(node.output).not.toContain('fallback mode');
      expect(filesRun(node.output)).toEqual([]);
    } finally {
      await limited.close();
    }
  });

  it('names an unreachable server within the connect timeout, and fails when fallback is off', async () => {
    const port = await closedPort();
    const node = await runJestNode({
      cwd: fixture('basic'),
      env: { ...nodeEnv(randomUUID()), FAST_CI_SERVER: `ws://127.0.0.1:${port}`, FAST_CI_CONNECT_TIMEOUT: '2', FAST_CI_FALLBACK: 'off' },
      timeoutMs: 30_000,
    });
    expect(node).toExitWith(1);
    expect(node.output).toContain(`Could not reach the orchestrator at ws://127.0.0.1:${port} within 2s`);
    expect(node.output).toContain('FAST_CI_FALLBACK=off');
    expect(node.output).not.toContain('PASS');
  });

  it('falls back to its share of the files, loudly, when the server is unreachable', async () => {
    const port = await closedPort();
    const env = { ...nodeEnv(randomUUID()), FAST_CI_SERVER: `ws://127.0.0.1:${port}`, FAST_CI_CONNECT_TIMEOUT: '1', FAST_CI_NODE_TOTAL: '2' };
    const shards = await Promise.all([0, 1].map(i => runJestNode({ cwd: fixture('basic'), env: { ...env, FAST_CI_NODE_INDEX: String(i) } })));
    const ran = shards.map(s => filesRun(s.output));
    for (const shard of shards) expect(shard).toExitWith(0);
    expect(shards[0]!.output).toContain('jest-fast-ci: WARNING: fallback mode.');
    expect(shards[0]!.output).toMatch(/running shard 1 of 2: \d+ of 12 files, split by file size/);
    // Every file ran on exactly one shard.
    expect(ran.flat().sort()).toEqual(basicFiles);
  });
});

describe('the wire', () => {
  it('speaks the reference protocol: URL params, topic, join, enq, deq with results, leave', async () => {
    const buildId = randomUUID();
    const node = await runJestNode({ cwd: fixture('basic'), env: nodeEnv(buildId, { FAST_CI_BRANCH: 'feature/x', FAST_CI_COMMIT: 'c0mm1t' }) });
    expect(node).toExitWith(0);
    const frames = server.run(buildId)!.frames!;
    const topic = `test_orchestrator:jest-${buildId}`;

    // Query params in the reference clients' order (the secret is stripped from the record), then vsn.
    expect(Object.keys(frames[0]!.query)).toEqual(['build_id', 'run_key', 'branch', 'commit', 'commit_msg', 'author', 'vsn']);
    expect(frames[0]!.query).toMatchObject({ build_id: buildId, run_key: 'jest', branch: 'feature/x', commit: 'c0mm1t', vsn: '1.0.0' });
    expect(JSON.parse(frames[0]!.query.author!)).toEqual({ name: expect.any(String), email: expect.any(String) });

    const events = frames.filter(f => f.message.topic === topic).map(f => f.message.event);
    expect(events[0]).toBe('phx_join');
    expect(events[1]).toBe('enq');
    expect(events[events.length - 1]).toBe('leave');
    // Between them: deqs; the file-set check once, after the first deq reply; and, as each
    // of the 12 files starts and ends, which files run now (both extensions the join reply listed).
    const extensions = events.slice(2, -1).filter(e => e !== 'deq');
    expect(extensions.filter(e => e === 'files')).toHaveLength(1);
    expect(extensions.filter(e => e === 'running')).toHaveLength(24);
    expect(extensions.filter(e => e !== 'files' && e !== 'running')).toEqual([]);
    const files = frames.find(f => f.message.event === 'files')!.message.payload;
    expect(files).toEqual({ count: 12, digest: fileSetDigest(basicFiles) });

    const enq = frames.find(f => f.message.event === 'enq')!.message.payload as { tests: Record<string, unknown> };
    expect(Object.keys(enq.tests).sort()).toEqual(basicFiles);
    expect(enq.tests['test/file01.test.js']).toMatchObject({
      file_status: 'pending', test_count: 1, test_counters: { failed: 0, passed: 0, pending: 0 }, '1': { status: 'pending', run_time: 0 },
    });

    const deqs = frames.filter(f => f.message.event === 'deq').map(f => f.message.payload as Record<string, Record<string, unknown>>);
    expect(deqs[0]).toEqual({});
    const reported = Object.assign({}, ...deqs);
    expect(Object.keys(reported).sort()).toEqual(basicFiles);
    expect(reported['test/file03.test.js']).toMatchObject({
      file_status: 'passed',
      test_count: 3,
      test_counters: { passed: 2, failed: 0, pending: 1 },
      '1': { status: 'passed', run_time: expect.any(Number), description: 'file03 adds' },
      '2': { status: 'passed', description: 'file03 concatenates' },
      '3': { status: 'pending', description: 'file03 is skipped' },
    });
  });
});

describe('the command line', () => {
  it('--maxWorkers sent as the join\'s workers: the server sizes the node\'s batches by it', async () => {
    const buildId = randomUUID();
    // A memory limit keeps Jest from running 12 fast files in band (it then ignores --maxWorkers).
    // A cache of its own: no record of earlier runs, so the join names no warm files.
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-join-cache-'));
    const node = await runJestNode({ cwd: fixture('basic'), env: nodeEnv(buildId), args: ['--maxWorkers=3', '--workerIdleMemoryLimit=1GB', `--cacheDirectory=${cacheDir}`] });
    fs.rmSync(cacheDir, { recursive: true, force: true });
    expect(node).toExitWith(0);
    const run = server.run(buildId)!;
    const join = run.frames!.find(f => f.message.event === 'phx_join')!;
    // retry_run: a job joining a finished run of this build id would be a retried one (docs/configuration.md, Retried CI jobs).
    expect(join.message.payload).toEqual({ node_id: expect.any(String), workers: 3, accepts: ['parts', 'cancel'], retry_run: { mode: 'failed' } });
    expect(run.nodes[0]!.workers).toBe(3);
  });
});

describe('Jest features through the orchestrator', () => {
  it('keeps coverage, --verbose, console output and snapshots as in plain Jest', async () => {
    const buildId = randomUUID();
    const node = await runJestNode({ cwd: fixture('features'), env: nodeEnv(buildId), args: ['--coverage', '--verbose', '--ci', '--maxWorkers=2'] });
    expect(node).toExitWith(0);
    expect(Object.keys(server.run(buildId)!.results).sort()).toEqual(['test/math.test.js', 'test/text.test.js']);
    // --verbose: per-test lines come from the test-case events the runner forwards.
    expect(node.output).toMatch(/✓ adds and logs/);
    expect(node.output).toMatch(/✓ shouts/);
    // Console output of a test file.
    expect(node.output).toContain('hello from the math test');
    // The stored snapshot is checked (and --ci would fail a missing one).
    expect(node.output).toMatch(/Snapshots:\s+1 passed, 1 total/);
    // Coverage from both workers' files, merged into one report.
    expect(node.output).toMatch(/math\.js\s*\|\s*100\s*\|/);
    expect(node.output).toMatch(/text\.js\s*\|\s*100\s*\|/);
  });
});

describe('runner options in jest.config (Jest 30.4+)', () => {
  it('takes the server and build id from the options when the environment does not set them', async () => {
    const buildId = randomUUID();
    const node = await runJestNode({
      cwd: fixture('options'),
      env: { FAST_CI_SECRET_KEY: KEY, OPTIONS_FIXTURE_SERVER: server.url, OPTIONS_FIXTURE_BUILD: buildId },
    });
    expect(node).toExitWith(0);
    expect(Object.keys(server.run(buildId)!.results)).toHaveLength(3);
  });

  it('fails at start on an unknown option, naming it and the known ones', async () => {
    const node = await runJestNode({
      cwd: fixture('options'),
      env: { FAST_CI_SECRET_KEY: KEY, OPTIONS_FIXTURE_SERVER: server.url, OPTIONS_FIXTURE_BUILD: randomUUID(), OPTIONS_FIXTURE_TYPO: '1' },
    });
    expect(node).toExitWith(1);
    expect(node.output).toContain('Unknown jest-fast-ci runner option "sever". Known options: server, buildId');
    expect(node.output).not.toContain('PASS');
  });
});

describe('a file this node does not have', () => {
  /** Node 0 is a bare phoenix client "on another commit": it enqueues one file the jest node lacks. */
  async function ghostRun(buildId: string): Promise<BareNode> {
    const nodeZero = await joinBareNode(server.url, KEY, buildId);
    await nodeZero.push('enq', { tests: Object.fromEntries([...basicFiles, 'test/ghost.test.js'].map(id => [id, pendingEntry()])) });
    return nodeZero;
  }

  it('fails the node with the file-set check, naming the file, before it can pass', async () => {
    const buildId = randomUUID();
    const nodeZero = await ghostRun(buildId);
    const node = await runJestNode({ cwd: fixture('basic'), env: nodeEnv(buildId) });
    await nodeZero.disconnect();
    expect(node).toExitWith(1);
    expect(node.output).toContain(
      "jest-fast-ci: this node's test files differ from the run's: 1 of the run's 13 files are not on this node (test/ghost.test.js). Likely cause: different arguments or config on different shards.",
    );
  });

  it('against a server without the file-set check: is reported as failed with a message about running the same commit, never skipped', async () => {
    const buildId = randomUUID();
    const nodeZero = await ghostRun(buildId);
    // An orchestrator without this project's extensions (the hosted service, an older server): no file-set check.
    const proxy = await startFrameProxy(server.url);
    proxy.onFrame(withoutExtensions);
    try {
      const node = await runJestNode({ cwd: fixture('basic'), env: { ...nodeEnv(buildId), FAST_CI_SERVER: proxy.url } });
      expect(node).toExitWith(1);
      expect(node.output).toContain('the orchestrator handed this node the test file "test/ghost.test.js", which this node\'s Jest did not find');
      expect(node.output).toContain('Every node of a run must check out the same commit');
      // The count in the final summary still says the run was not this node's.
      expect(node.output).toContain('jest-fast-ci: the run had 13 test files, but this node found 12.');
      const ghost = server.run(buildId)!.results['test/ghost.test.js']!;
      expect(ghost.nodeIndex).toBe(1);
      expect(ghost.entry.file_status).toBe('failed');
      expect(Object.keys(server.run(buildId)!.results)).toHaveLength(13);
    } finally {
      await nodeZero.disconnect();
      await proxy.close();
    }
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise(resolve => probe.close(resolve));
  return port;
}
