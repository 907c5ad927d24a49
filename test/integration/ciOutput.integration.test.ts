/**
 * What a GitHub Actions user sees, with three real nodes (FAST_CI_NODE_INDEX
 * 0-2, started out of order), retries on, whole-run reporting on and Jest's
 * own github-actions reporter in the config (through withFastCi): each
 * failure annotated once in the run, the flaky file warned of once, the
 * job summaries holding the whole run once, nodes named by their shard, and
 * other nodes' files marked with the node that ran them.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { Gates } from '../helpers/gates';
import { fixture, startJestNode, until, type NodeOutcome, type RunningNode } from '../helpers/jestNodes';

const KEY = 'ci-output-secret-7f2e';
let server: OrchestratorServer;
let dir: string;
let gates: Gates;

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], publicUrl: 'https://ci-queue.example.com/' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-ci-output-'));
  gates = new Gates();
});

afterAll(async () => {
  gates.remove();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const count = (text: string, pattern: RegExp): number => text.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;

describe('three nodes on GitHub Actions', () => {
  const buildId = randomUUID();
  const shards = [2, 0, 1];
  let nodes: Array<NodeOutcome & { shard: number; summary: string }>;

  beforeAll(async () => {
    const env = (shard: number): Record<string, string> => ({
      FAST_CI_SECRET_KEY: KEY,
      FAST_CI_SERVER: server.url,
      FAST_CI_BUILD_ID: buildId,
      FAST_CI_RETRY: '1',
      FAST_CI_NODE_INDEX: String(shard),
      FAST_CI_NODE_TOTAL: '3',
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: path.join(dir, `summary-${shard}.md`),
      FLAKY_MARKER: path.join(dir, 'flaky-marker'),
      ...gates.env,
    });
    // Joined out of shard order, so the server's join order (node_index) differs from the shards.
    const running: Array<{ shard: number; node: RunningNode }> = [];
    for (const shard of shards) {
      running.push({ shard, node: startJestNode({ cwd: fixture('ci-output'), env: env(shard) }) });
      await until(() => (server.run(buildId)?.nodes.length === running.length ? true : undefined), `node ${shard} to join`);
    }
    gates.openAll();
    nodes = await Promise.all(
      running.map(async ({ shard, node }) => {
        const outcome = await node.done;
        const file = path.join(dir, `summary-${shard}.md`);
        return { ...outcome, shard, summary: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '' };
      }),
    );
  });

  it('fails every node of the failed run, and names each node by its shard, on the page and in its log', () => {
    const run = server.run(buildId)!;
    expect(run.summary).toMatchObject({ files: 8, failed: 1, flaky: ['test/flaky.test.js'] });
    expect(run.nodes.map(n => [n.index, n.shard, n.label])).toEqual(shards.map((shard, index) => [index, shard, `node ${shard}`]));
    for (const node of nodes) {
      expect(node).toExitWith(1);
      const index = run.nodes.find(n => n.shard === node.shard)!.index;
      const also = index === node.shard ? '' : ` (index ${index} in the run)`;
      expect(node.output).toContain(`jest-fast-ci ▸ node ${node.shard}${also} · build ${buildId}`);
      // The run's page, from the server's public address, at start and at the end.
      const page = `https://ci-queue.example.com/#/runs/jest/${buildId}`;
      expect(node.output).toContain(`jest-fast-ci: node ${node.shard} of the run at ${page}`);
      expect(node.output).toContain(`jest-fast-ci ▸ the run's page: ${page}`);
    }
  });

  it('annotates the failing test once in the whole run, and the flaky file once, as a warning', () => {
    const all = nodes.map(n => n.output).join('\n');
    expect(count(all, /^::error /)).toBe(1);
    expect(all).toMatch(/^::error file=.*broken\.test\.js,line=\d+,title=totals the cart::/m);
    expect(count(all, /^::warning /)).toBe(1);
    expect(all).toMatch(/^::warning file=test\/flaky\.test\.js,title=Flaky%3A test\/flaky\.test\.js::test\/flaky\.test\.js failed, then passed/m);
    // The node whose run of the file passed warns of it.
    const run = server.run(buildId)!;
    const passedOn = run.nodes[run.results['test/flaky.test.js']!.nodeIndex]!.shard;
    expect(nodes.find(n => n.shard === passedOn)!.output).toMatch(/^::warning /m);
  });

  it("prints this node's files as Jest does, other nodes' files marked with the node that ran them, and a retried failure short", () => {
    const run = server.run(buildId)!;
    const failedOn = run.nodes[run.retries['test/flaky.test.js']![0]!]!.shard;
    const notice = 'jest-fast-ci: test/flaky.test.js failed on this node and will run again on another node (FAST_CI_RETRY); it is not counted here:\n  ● works on the second try: flaky failure on purpose\n\n';
    expect(nodes.find(n => n.shard === failedOn)!.output).toContain(notice);
    // Its stack is printed nowhere: the attempt that counts passed.
    for (const node of nodes) expect(node.output).not.toContain('flaky.test.js:12:');
    for (const node of nodes) {
      for (const [id, result] of Object.entries(run.results)) {
        const ranOn = run.nodes[result.nodeIndex]!.shard!;
        const status = result.entry.file_status === 'failed' ? 'FAIL' : 'PASS';
        const line = ranOn === node.shard ? `${status} ${id}` : `${status} node ${ranOn} ${id}`;
        expect(node.output.split('\n')).toContain(line);
      }
    }
  });

  it('writes the whole run once across the job summaries: node 0 the run, each other node its own line', () => {
    const whole = nodes.filter(n => n.summary.includes('## jest-fast-ci: the run failed'));
    expect(whole).toHaveLength(1);
    const run = server.run(buildId)!;
    expect(run.nodes[0]!.shard).toBe(whole[0]!.shard);
    const summary = whole[0]!.summary;
    expect(summary).toContain(': 8 files on 3 nodes, 1 failed, 7 passed');
    expect(summary).toMatch(/\| `test\/broken\.test\.js` \| totals the cart \| expect\(received\)\.toBe\(expected\).* \| node \d \|/);
    expect(summary).toContain('- `test/flaky.test.js`');
    expect(summary).toContain('### Slowest files');
    expect(summary).toContain(`[the run's page](https://ci-queue.example.com/#/runs/jest/${buildId})`);
    const all = nodes.map(n => n.summary).join('\n');
    expect(count(all, /^\| `test\/broken\.test\.js` \| totals the cart \|/)).toBe(1);
    for (const node of nodes.filter(n => n !== whole[0])) {
      expect(node.summary).toMatch(new RegExp(`^### jest-fast-ci · node ${node.shard}\\n\\n\\*\\*node ${node.shard}\\*\\* ran \\d+ of 8 files`));
    }
  });
});

it("warns that Jest's github-actions reporter, listed by hand, annotates every node's failures on every node", async () => {
  const buildId = randomUUID();
  const env = { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId, GITHUB_ACTIONS: 'true', CI_OUTPUT_PLAIN: '1', FLAKY_MARKER: path.join(dir, `marker-${buildId}`), ...gates.env };
  const nodes = await Promise.all([0, 1].map(() => startJestNode({ cwd: fixture('ci-output'), env }).done));
  for (const node of nodes) {
    expect(node).toExitWith(1);
    expect(node.output).toContain("jest-fast-ci: WARNING: Jest's 'github-actions' reporter annotates every failure of the run on every node");
  }
});
