/**
 * A retried CI job re-runs what failed (FAST_CI_RETRY_RUN), with real jest
 * nodes, the real server and each CI's own variables. Attempt 1 runs the
 * flaky fixture on two nodes: its flaky file fails the first time it runs
 * in a build (a marker file remembers) and passes after, or fails every
 * time with FLAKY_ALWAYS=1. The retry runs on fewer nodes.
 * (retry.integration.test.ts is FAST_CI_RETRY: a failed file run again
 * within the same attempt.)
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { Gates } from '../helpers/gates';
import { fixture, runJestNode, startJestNode, until, type NodeOutcome } from '../helpers/jestNodes';

const KEY = 'retry-run-secret-9e2a';
const FLAKY = 'test/flaky.test.js';
let server: OrchestratorServer;
let markerDir: string;

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
  markerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-retry-run-'));
});

afterAll(async () => {
  await server.close();
  fs.rmSync(markerDir, { recursive: true, force: true });
});

/** A node's environment on a CI: its variables, no FAST_CI_BUILD_ID (the build id is the CI's). */
function ciEnv(s: OrchestratorServer, marker: string, ci: Record<string, string>): Record<string, string> {
  // The timings file is written on a CI: not into the fixture.
  return { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: s.url, FAST_CI_TIMINGS_FILE: 'off', FLAKY_MARKER: path.join(markerDir, marker), ...ci };
}

/**
 * Attempt 1 on two nodes: the flaky file fails on the node that runs it.
 * It waits on its gate until both nodes have joined, so neither joins a
 * finished run.
 */
async function firstAttempt(env: Record<string, string>, buildId: string): Promise<NodeOutcome[]> {
  const gates = new Gates();
  try {
    const started = [0, 1].map(() => startJestNode({ cwd: fixture('flaky'), env: { ...env, ...gates.env } }));
    await until(() => (server.run(buildId)?.nodes.length === 2 ? true : undefined), 'both nodes to join');
    gates.openAll();
    return check(await Promise.all(started.map(n => n.done)));
  } finally {
    gates.remove();
  }
}

/** Both fail: with whole-run reporting each node's Jest sees the whole run, the flaky failure included. */
function check(nodes: NodeOutcome[]): NodeOutcome[] {
  for (const node of nodes) expect(node).toExitWith(1);
  return nodes;
}

/** The files this node ran itself, from the reporter's line ("ran 1 of 4 files here"). */
function ranHere(node: NodeOutcome): number | undefined {
  const match = /ran (\d+) of \d+ files here/.exec(node.output);
  return match ? Number(match[1]) : undefined;
}

const providers: Array<{ name: string; first: (id: string) => Record<string, string>; retried: (id: string) => Record<string, string>; buildId: (id: string) => string }> = [
  {
    name: 'GitHub Actions (re-run failed jobs: GITHUB_RUN_ATTEMPT=2, a build id of its own)',
    first: id => ({ GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: '1' }),
    retried: id => ({ GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: '2' }),
    buildId: id => `${id}-2`,
  },
  {
    name: 'Buildkite (a retried job: same BUILDKITE_BUILD_ID, BUILDKITE_RETRY_COUNT=1)',
    first: id => ({ BUILDKITE: 'true', BUILDKITE_BUILD_ID: id, BUILDKITE_RETRY_COUNT: '0' }),
    retried: id => ({ BUILDKITE: 'true', BUILDKITE_BUILD_ID: id, BUILDKITE_RETRY_COUNT: '1' }),
    buildId: id => id,
  },
  {
    name: 'GitLab (a retried job: same CI_PIPELINE_ID, new CI_JOB_ID, no retry variable)',
    first: id => ({ GITLAB_CI: 'true', CI_PIPELINE_ID: id, CI_JOB_ID: '1' }),
    retried: id => ({ GITLAB_CI: 'true', CI_PIPELINE_ID: id, CI_JOB_ID: '3' }),
    buildId: id => id,
  },
];

describe.each(providers)('$name', ({ first, retried, buildId }) => {
  it('re-runs only the failed file on one node, whose report shows the whole build, and exits 0', async () => {
    const id = String(Math.floor(Math.random() * 1e9));
    await firstAttempt(ciEnv(server, id, first(id)), id);

    const retry = await runJestNode({ cwd: fixture('flaky'), env: ciEnv(server, id, retried(id)) });
    expect(retry).toExitWith(0);
    expect(ranHere(retry)).toBe(1);
    expect(retry.output).toContain(`retry of build ${id}: re-ran 1 failed file of 4; 3 passed in attempt 1`);
    // Whole-run reporting: the earlier passes are in this node's Jest summary too.
    expect(retry.output).toMatch(/Test Suites: 4 passed, 4 total/);
    expect(retry.output).toContain('whole run: 4 files on 1 node: 4 passed (4 tests), 3 of the files from an earlier attempt');
    const run = server.run(buildId(id))!;
    expect(run.summary).toMatchObject({ files: 4, passed: 4, failed: 0, kept: 3 });
    expect(run.results[FLAKY]).toMatchObject({ attempt: 2, nodeIndex: retry.nodeIndex });
  });
});

it('fails a retry whose file fails again, and keeps a late node of attempt 1 (Buildkite says so) from re-running', async () => {
  const id = randomUUID();
  const first = ciEnv(server, id, { BUILDKITE: 'true', BUILDKITE_BUILD_ID: id, BUILDKITE_RETRY_COUNT: '0', FLAKY_ALWAYS: '1' });
  await firstAttempt(first, id);

  const late = await runJestNode({ cwd: fixture('flaky'), env: first });
  expect(late).toExitWith(1);
  expect(late.output).toContain('had already finished with 1 failed file when this node joined, and this node ran nothing');
  expect(ranHere(late)).toBeUndefined();

  const retry = await runJestNode({ cwd: fixture('flaky'), env: { ...first, BUILDKITE_RETRY_COUNT: '1' } });
  expect(retry).toExitWith(1);
  expect(ranHere(retry)).toBe(1);
  expect(retry.output).toMatch(/FAIL test\/flaky\.test\.js/);
  expect(retry.output).toContain(`retry of build ${id}: re-ran 1 failed file of 4; 3 passed in attempt 1`);
  expect(server.run(id)!.summary).toMatchObject({ files: 4, passed: 3, failed: 1, kept: 3 });
});

it('runs nothing for a retry of a build that passed, exits 0 and says so', async () => {
  const id = String(Math.floor(Math.random() * 1e9));
  const env = ciEnv(server, id, { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: '1' });
  fs.writeFileSync(env.FLAKY_MARKER!, 'ran');
  expect(await runJestNode({ cwd: fixture('flaky'), env })).toExitWith(0);

  const retry = await runJestNode({ cwd: fixture('flaky'), env: { ...env, GITHUB_RUN_ATTEMPT: '2' } });
  expect(retry).toExitWith(0);
  expect(ranHere(retry)).toBe(0);
  expect(retry.output).toContain(`retry of build ${id}: nothing to re-run: all 4 files passed in attempt 1`);
});

it('runs every file, and says why, when the server no longer knows the earlier attempt (a fresh server)', async () => {
  const id = String(Math.floor(Math.random() * 1e9));
  const env = ciEnv(server, id, { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: '1' });
  expect(await runJestNode({ cwd: fixture('flaky'), env })).toExitWith(1);

  const fresh = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
  try {
    const retry = await runJestNode({ cwd: fixture('flaky'), env: { ...env, FAST_CI_SERVER: fresh.url, GITHUB_RUN_ATTEMPT: '2' } });
    expect(retry).toExitWith(0);
    expect(ranHere(retry)).toBe(4);
    expect(retry.output).toContain(`retry of build ${id}: every file runs again, because the orchestrator no longer knows build ${id}`);
  } finally {
    await fresh.close();
  }
});

it('runs every file again with FAST_CI_RETRY_RUN=all', async () => {
  const id = String(Math.floor(Math.random() * 1e9));
  const env = ciEnv(server, id, { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: '1' });
  expect(await runJestNode({ cwd: fixture('flaky'), env })).toExitWith(1);

  const retry = await runJestNode({ cwd: fixture('flaky'), env: { ...env, GITHUB_RUN_ATTEMPT: '2', FAST_CI_RETRY_RUN: 'all' } });
  expect(retry).toExitWith(0);
  expect(ranHere(retry)).toBe(4);
  expect(retry.output).toContain(`retry of build ${id} (attempt 2): every file runs again (FAST_CI_RETRY_RUN=all)`);
});
