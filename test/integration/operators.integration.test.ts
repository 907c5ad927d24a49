/**
 * What an operator of a self-hosted server reads: `jest-fast-ci serve` as
 * they run it (the built CLI) with `--metrics-port` and `--log-format json`,
 * a real run of two jest nodes through it, `/metrics` scraped over HTTP
 * before and after, and its stderr read as a JSON log.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fixture, REPO, startJestNode, until } from '../helpers/jestNodes';
import { startChild } from '../helpers/processes';

const CLI = path.join(REPO, 'dist/cli.js');
const KEY = 'operators-secret-5b1c';
const VIEW = 'operators-view-token-93ad';

/** A counter's or histogram count's value in Prometheus text, 0 when the series is absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find(l => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function get(url: string, token?: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

it('shows a real run in /metrics (counters moving) and in a JSON log that parses line by line and never holds the key', async () => {
  const server = startChild(process.execPath, [CLI, 'serve', '--port', '0', '--metrics-port', '0', '--log-format', 'json', '--public-url', 'https://ci-queue.example.com'], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', FAST_CI_SECRET_KEY: KEY, FAST_CI_VIEW_TOKEN: VIEW },
  });
  const url = await until(() => /^FAST_CI_SERVER=(ws:\/\/127\.0\.0\.1:\d+)$/m.exec(server.output())?.[1], 'the CLI to print its URL');
  const metricsUrl = await until(() => /"metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(server.output())?.[1], 'the metrics address');
  const mainMetrics = `${url.replace('ws:', 'http:')}/metrics`;

  const before = await get(metricsUrl);
  expect(before.status).toBe(200);
  expect(before.type).toContain('text/plain');
  expect(before.text).toContain('# TYPE fastci_deq_seconds histogram');

  const buildId = randomUUID();
  const env = { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: url, FAST_CI_BUILD_ID: buildId };
  const nodes = await Promise.all([0, 1].map(() => startJestNode({ cwd: fixture('basic'), env }).done));
  for (const node of nodes) expect(node).toExitWith(0);

  const after = await get(metricsUrl);
  expect(value(after.text, 'fastci_run_events_total{type="result"}') - value(before.text, 'fastci_run_events_total{type="result"}')).toBe(12);
  expect(value(after.text, 'fastci_run_events_total{type="join"}') - value(before.text, 'fastci_run_events_total{type="join"}')).toBe(2);
  expect(value(after.text, 'fastci_deq_seconds_count{outcome="answered"}')).toBeGreaterThanOrEqual(2);
  expect(value(after.text, 'fastci_requests_total{event="deq"}')).toBeGreaterThanOrEqual(value(after.text, 'fastci_deq_seconds_count{outcome="answered"}'));
  expect(value(after.text, 'fastci_store_seconds_count{op="commit",store="local"}')).toBeGreaterThan(value(before.text, 'fastci_store_seconds_count{op="commit",store="local"}'));
  expect(value(after.text, 'fastci_report_bytes_total{direction="in"}')).toBeGreaterThan(0);
  expect(value(after.text, 'fastci_runs_active')).toBe(0);

  // On the main port, only with a credential; the metrics listener serves nothing else.
  expect((await get(mainMetrics)).status).toBe(401);
  expect((await get(mainMetrics, KEY)).status).toBe(401);
  expect((await get(mainMetrics, VIEW)).status).toBe(200);
  expect((await get(metricsUrl.replace('/metrics', '/api/runs'))).status).toBe(404);

  server.signal('SIGTERM');
  const outcome = await server.done;
  expect(outcome).toExitWith(0);
  expect(outcome.output).not.toContain(KEY);
  expect(outcome.output).not.toContain(VIEW);
  const lines = outcome.output.split('\n').filter(line => line !== '' && !line.startsWith('FAST_CI_SERVER='));
  const log = lines.map(line => JSON.parse(line) as Record<string, unknown>);
  const of = (event: string): Array<Record<string, unknown>> => log.filter(entry => entry.event === event && (entry.build_id === undefined || entry.build_id === buildId));
  expect(of('server.started')).toEqual([expect.objectContaining({ url, dashboard: 'https://ci-queue.example.com', metrics: metricsUrl })]);
  expect(of('run.opened')).toEqual([expect.objectContaining({ run_key: 'jest', build_id: buildId })]);
  expect(of('node.joined').map(entry => entry.node).sort()).toEqual(['node 0', 'node 1']);
  expect(of('run.finished')).toEqual([expect.objectContaining({ outcome: 'passed', files: 12, passed: 12, failed: 0, nodes: 2 })]);
  expect(of('server.stopping')).toHaveLength(1);
  for (const entry of log) expect(typeof entry.time).toBe('string');
});
