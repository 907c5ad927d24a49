/**
 * The timings file end to end, with real `jest` nodes: the fallback split
 * follows the committed durations, and an orchestrated run records them.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { filesRun, fixture, fixtureFiles, REPO, runJestNode } from '../helpers/jestNodes';

const KEY = 'timings-secret-5b21';
const basicFiles = fixtureFiles('basic');

let server: OrchestratorServer;
/** Accepts TCP connections and cuts them at once: an orchestrator that cannot be reached. */
let refusing: net.Server;
let checkout: string;

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
  refusing = net.createServer(socket => socket.destroy());
  await new Promise<void>(resolve => refusing.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await server.close();
  await new Promise(resolve => refusing.close(resolve));
});

beforeEach(() => {
  checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-timings-'));
});

afterEach(() => {
  fs.rmSync(checkout, { recursive: true, force: true });
});

/** A git checkout of the `basic` fixture (12 files of the same size), the runner and reporter by absolute path. */
function makeCheckout(committed: Record<string, number>): void {
  fs.cpSync(path.join(fixture('basic'), 'test'), path.join(checkout, 'test'), { recursive: true });
  fs.writeFileSync(
    path.join(checkout, 'jest.config.js'),
    `module.exports = ${JSON.stringify({
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.test.js'],
      runner: path.join(REPO, 'dist/index.js'),
      reporters: ['default', path.join(REPO, 'dist/reporter/index.js')],
    })};\n`,
  );
  fs.writeFileSync(path.join(checkout, '.jest-fast-ci-timings.json'), JSON.stringify({ version: 1, files: committed }));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: checkout, stdio: 'ignore' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'suite and its timings');
}

function nodeEnv(extra: Record<string, string>): Record<string, string> {
  return { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: randomUUID(), ...extra };
}

describe('fallback by durations', () => {
  it('splits by the committed durations, so the shards\' shares follow them, and every file runs exactly once', async () => {
    // file01 is recorded as taking as long as the other eleven together, and more.
    makeCheckout(Object.fromEntries(basicFiles.map(id => [id, id === 'test/file01.test.js' ? 10_000 : 100])));
    // A node's own copy says otherwise (a persistent workspace, an earlier run): only the commit counts.
    const timingsFile = path.join(checkout, '.jest-fast-ci-timings.json');
    const workTreeCopy = JSON.stringify({ version: 1, files: { 'test/file12.test.js': 10_000 } });
    fs.writeFileSync(timingsFile, workTreeCopy);

    const env = nodeEnv({ FAST_CI_SERVER: `ws://127.0.0.1:${(refusing.address() as net.AddressInfo).port}`, FAST_CI_CONNECT_TIMEOUT: '1', FAST_CI_NODE_TOTAL: '2' });
    const shards = await Promise.all([0, 1].map(i => runJestNode({ cwd: checkout, env: { ...env, FAST_CI_NODE_INDEX: String(i) } })));
    for (const shard of shards) expect(shard).toExitWith(0);
    const ran = shards.map(s => filesRun(s.output).sort());

    expect(ran[0]).toEqual(['test/file01.test.js']);
    expect(ran[1]).toEqual(basicFiles.filter(id => id !== 'test/file01.test.js'));
    expect(ran.flat().sort()).toEqual(basicFiles);
    const basis = /split by the durations in \.jest-fast-ci-timings\.json, as committed \(digest ([0-9a-f]{12}); 12 of 12 files timed\)/;
    expect(shards[0]!.output).toMatch(/WARNING: fallback mode\. .* running shard 1 of 2: 1 of 12 files, split by the durations/);
    expect(shards[1]!.output).toMatch(/running shard 2 of 2: 11 of 12 files, split by the durations/);
    // Both read the same file: the digest in each warning says so.
    expect(basis.exec(shards[0]!.output)![1]).toBe(basis.exec(shards[1]!.output)![1]);
    // Outside CI, without FAST_CI_TIMINGS_FILE, a node leaves the checkout as it was.
    expect(fs.readFileSync(timingsFile, 'utf8')).toBe(workTreeCopy);
  });
});

describe('recording durations', () => {
  it('writes the durations of the files a node ran at the end of an orchestrated run, keeping the others', async () => {
    makeCheckout({});
    const timingsFile = path.join(checkout, 'timings', 'kept.json');
    fs.mkdirSync(path.dirname(timingsFile));
    fs.writeFileSync(timingsFile, JSON.stringify({ version: 1, files: { 'test/elsewhere.test.js': 1234 } }));
    const node = await runJestNode({ cwd: checkout, env: nodeEnv({ FAST_CI_TIMINGS_FILE: 'timings/kept.json' }) });
    expect(node).toExitWith(0);
    expect(node.output).toContain('jest-fast-ci: recorded the durations of the 12 files run here in timings/kept.json (13 files listed)');
    const written = JSON.parse(fs.readFileSync(timingsFile, 'utf8')) as { version: number; files: Record<string, number> };
    expect(written.version).toBe(1);
    expect(Object.keys(written.files)).toEqual(['test/elsewhere.test.js', ...basicFiles]);
    expect(written.files['test/elsewhere.test.js']).toBe(1234);
    for (const id of basicFiles) expect(Number.isInteger(written.files[id])).toBe(true);
  });
});
