/**
 * The dashboard over HTTP on a real server: no data without a credential,
 * the sign-in form and its cookie, one key's runs hidden from another, the
 * view token, the run view and its event stream, file durations, and
 * `dashboard: false`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OrchestratorServer } from '../../../src/server';
import type { FileEntry } from '../../../src/protocol/types';
import { cleanup, KEY, Node, OTHER_KEY, passed, pendingTests, startTestServer, until } from '../helpers';

const VIEW_TOKEN = 'view-token-for-the-tests-7f3a';

afterEach(cleanup);

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function http(server: OrchestratorServer, method: string, urlPath: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path: urlPath, headers, agent: false }, res => {
      let text = '';
      res.on('data', chunk => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
const getJson = async (server: OrchestratorServer, urlPath: string, headers: Record<string, string>) => {
  const answer = await http(server, 'GET', urlPath, headers);
  expect(answer.status).toBe(200);
  return JSON.parse(answer.body);
};

function signIn(server: OrchestratorServer, credential: string, headers: Record<string, string> = {}): Promise<Answer> {
  const form = new URLSearchParams({ credential }).toString();
  return http(server, 'POST', '/sign-in', { 'content-type': 'application/x-www-form-urlencoded', ...headers }, form);
}

/** An event stream, read event by event. */
class Events {
  readonly #events: Array<{ event: string; data: any }> = [];
  #buffer = '';
  #read = 0;
  #close: () => void = () => undefined;

  static open(server: OrchestratorServer, urlPath: string, headers: Record<string, string>): Promise<Events> {
    const events = new Events();
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: urlPath, headers, agent: false }, res => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        res.setEncoding('utf8');
        res.on('data', chunk => events.#take(chunk));
        resolve(events);
      });
      events.#close = () => req.destroy();
      req.on('error', reject);
      req.end();
    });
  }

  async next(): Promise<{ event: string; data: any }> {
    await until(() => this.#events.length > this.#read, 'an event');
    return this.#events[this.#read++]!;
  }

  close(): void {
    this.#close();
  }

  #take(chunk: string): void {
    this.#buffer += chunk;
    let end: number;
    while ((end = this.#buffer.indexOf('\n\n')) >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) this.#events.push({ event, data: JSON.parse(data) });
    }
  }
}

const failed = (message: string): FileEntry => ({
  file_status: 'failed',
  test_count: 1,
  test_counters: { failed: 1, passed: 0, pending: 0 },
  run_time: 0.3,
  '1': { status: 'failed', run_time: 0.3, description: 'sum adds', failure_message: message },
});

/** One node runs a 3-file build to the end; file-1 fails. */
async function finishedBuild(server: OrchestratorServer, buildId: string, key = KEY) {
  const { node } = await Node.join(server, { buildId, key, nodeId: `${buildId}-n`, workers: 4 });
  await node.enq(pendingTests(3));
  let { tests } = (await node.deq()).response as { tests: string[] };
  while (tests.length > 0) {
    const results = Object.fromEntries(tests.map(id => [id, id === 'file-1.test.ts' ? failed('Expected: 3\nReceived: 2') : passed(0.2)]));
    ({ tests } = (await node.deq(results)).response as { tests: string[] });
  }
  return node;
}

it('serves the sign-in form and no data without a credential', async () => {
  const server = await startTestServer({ viewToken: VIEW_TOKEN });
  await finishedBuild(server, 'secret-build');
  const page = await http(server, 'GET', '/');
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.body).toContain('<form method="post" action="sign-in"');
  expect(page.body).not.toContain('secret-build');
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  for (const urlPath of ['/api/runs', '/api/runs/events', '/api/runs/jest/secret-build', '/api/runs/jest/secret-build/events', '/api/session']) {
    const answer = await http(server, 'GET', urlPath);
    expect([urlPath, answer.status]).toEqual([urlPath, 401]);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="jest-fast-ci"');
    expect(answer.body).not.toContain('secret-build');
  }
  expect((await http(server, 'GET', '/api/runs', bearer('not-a-key'))).status).toBe(401);
  // The page's code is no secret.
  const script = await http(server, 'GET', '/assets/app.js');
  expect([script.status, script.headers['content-type']]).toEqual([200, 'text/javascript; charset=utf-8']);
  expect((await http(server, 'GET', '/assets/../index.html')).status).toBe(404);
  expect((await http(server, 'GET', '/health')).status).toBe(200);
});

it('signs in with a form: an opaque HttpOnly, SameSite=Strict cookie, never the key; signs out', async () => {
  const server = await startTestServer({ viewToken: VIEW_TOKEN });
  const refused = await signIn(server, 'wrong');
  expect(refused.status).toBe(401);
  expect(refused.headers['set-cookie']).toBeUndefined();
  expect(refused.body).toContain('That is neither a secret key of this server nor its view token.');

  const signedIn = await signIn(server, KEY, { origin: `http://127.0.0.1:${server.port}`, host: `127.0.0.1:${server.port}` });
  expect(signedIn.status).toBe(303);
  expect(signedIn.headers.location).toBe('/');
  const [cookie] = signedIn.headers['set-cookie']!;
  expect(cookie).toMatch(/^fastci_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
  expect(cookie).not.toContain(KEY);
  const session = { cookie: cookie!.split(';')[0]! };
  expect(await getJson(server, '/api/session', session)).toEqual({ scope: 'key', viewToken: true });
  expect((await http(server, 'GET', '/', session)).body).toContain('<script type="module" src="assets/app.js">');

  expect((await signIn(server, VIEW_TOKEN, { 'x-forwarded-proto': 'https' })).headers['set-cookie']![0]).toMatch(/; Secure$/);
  // A page on another site can neither sign a visitor in nor out.
  expect((await signIn(server, KEY, { origin: 'https://evil.example' })).status).toBe(403);
  // Behind a proxy that rewrites Host, the host the browser saw comes as X-Forwarded-Host.
  expect((await signIn(server, KEY, { origin: 'https://ci.example', 'x-forwarded-host': 'ci.example' })).status).toBe(303);
  expect((await http(server, 'POST', '/sign-out', { ...session, origin: 'https://evil.example' })).status).toBe(403);

  const signedOut = await http(server, 'POST', '/sign-out', session);
  expect(signedOut.status).toBe(303);
  expect(signedOut.headers['set-cookie']![0]).toBe('fastci_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0');
  expect((await http(server, 'GET', '/api/session', session)).status).toBe(401);
  expect((await http(server, 'GET', '/sign-in')).status).toBe(405);
});

it("shows a key its own runs only, never the key's hash or position; the view token every run, with the key's position", async () => {
  const server = await startTestServer({ viewToken: VIEW_TOKEN });
  await Node.join(server, { buildId: 'mine', key: KEY });
  await Node.join(server, { buildId: 'theirs', key: OTHER_KEY });

  const mine = await http(server, 'GET', '/api/runs', bearer(KEY));
  const runs = JSON.parse(mine.body).runs;
  expect(runs.map((r: { buildId: string }) => r.buildId)).toEqual(['mine']);
  expect(runs[0]).toEqual({ runKey: 'jest', buildId: 'mine', state: 'waiting', meta: {}, startedAt: expect.any(Number), finishedAt: null, total: 0, done: 0, failed: 0, nodeCount: 1 });
  expect(mine.body).not.toMatch(/[0-9a-f]{64}|keyHash|keyIndex/);
  expect((await http(server, 'GET', '/api/runs/jest/theirs', bearer(KEY))).status).toBe(404);
  expect((await http(server, 'GET', '/api/runs/jest/theirs/events', bearer(KEY))).status).toBe(404);
  const view = await http(server, 'GET', '/api/runs/jest/mine', bearer(KEY));
  expect(view.body).not.toMatch(/[0-9a-f]{64}|keyHash|keyIndex/);

  const all = (await getJson(server, '/api/runs', bearer(VIEW_TOKEN))).runs;
  expect(all.map((r: { buildId: string; keyIndex: number }) => [r.buildId, r.keyIndex]).sort()).toEqual([['mine', 0], ['theirs', 1]]);
  expect((await getJson(server, '/api/runs/jest/theirs?key=1', bearer(VIEW_TOKEN))).keyIndex).toBe(1);
  expect((await http(server, 'GET', '/api/runs/jest/theirs?key=0', bearer(VIEW_TOKEN))).status).toBe(404);
});

it('answers one run: nodes, results with the first lines of each failure, times per file, the summary, file durations', async () => {
  const server = await startTestServer();
  await finishedBuild(server, 'b-1');
  const view = await getJson(server, '/api/runs/jest/b-1', bearer(KEY));
  expect(view).toMatchObject({ runKey: 'jest', buildId: 'b-1', state: 'finished', total: 3, done: 3, failed: 1, nodeCount: 1, queued: 0, leased: {}, timed: true });
  expect(view.nodes).toEqual([{ index: 0, label: 'node 0', connected: true, left: false, lost: false, waiting: false, workers: 4, filesReported: 3 }]);
  expect(view.results['file-1.test.ts']).toEqual({
    node: 0,
    status: 'failed',
    runTime: 0.3,
    tests: 1,
    failedTests: 1,
    failure: 'sum adds\nExpected: 3\nReceived: 2',
    failures: [{ test: 'sum adds', text: 'Expected: 3\nReceived: 2' }],
  });
  expect(view.results['file-0.test.ts']).toEqual({ node: 0, status: 'passed', runTime: 0.2, tests: 1, failedTests: 0 });
  expect(view.summary).toMatchObject({ files: 3, passed: 2, failed: 1 });
  expect(view.startedAt).toBeLessThanOrEqual(view.finishedAt);
  expect(view.spans).toHaveLength(3);
  for (const span of view.spans) {
    expect(span.from).toBeGreaterThanOrEqual(view.startedAt);
    expect(span.to).toBeGreaterThanOrEqual(span.from);
  }
  expect(view.spans.map((s: { outcome: string }) => s.outcome).sort()).toEqual(['failed', 'passed', 'passed']);

  expect(await getJson(server, '/api/runs/jest/b-1/files/file-0.test.ts', bearer(KEY))).toMatchObject({ id: 'file-0.test.ts', durations: [0.2], thisRun: 0.2, runs: [{ status: 'passed', buildId: 'b-1' }] });
  await finishedBuild(server, 'b-2');
  expect(await getJson(server, '/api/runs/jest/b-2/files/file-0.test.ts', bearer(KEY))).toMatchObject({ id: 'file-0.test.ts', durations: [0.2, 0.2], thisRun: 0.2, runs: [{ buildId: 'b-1' }, { buildId: 'b-2' }] });
  expect(await getJson(server, `/api/runs/jest/b-2/files/${encodeURIComponent('test/x.test.ts')}`, bearer(KEY))).toEqual({ id: 'test/x.test.ts', durations: [], thisRun: null, runs: [], failingSince: null, flakySince: null });
  // Other attempts of a build: same key, run key and commit, <id>-<n>.
  expect((await getJson(server, '/api/runs/jest/b-2', bearer(KEY))).attempts.map((a: { buildId: string }) => a.buildId)).toEqual(['b-1']);
});

it('reads file durations from the data directory, across restarts', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jest-fast-ci-dashboard-'));
  try {
    const first = await startTestServer({ dataDir });
    await finishedBuild(first, 'b-1');
    await first.close();
    const second = await startTestServer({ dataDir });
    expect(await getJson(second, '/api/runs/jest/b-1/files/file-2.test.ts', bearer(KEY))).toEqual({
      id: 'file-2.test.ts',
      durations: [0.2],
      thisRun: 0.2,
      runs: [{ status: 'passed', buildId: 'b-1', at: expect.any(Number), commit: null }],
      failingSince: null,
      flakySince: null,
    });
    // A restored run keeps its times: they are in its journal's events.
    const view = await getJson(second, '/api/runs/jest/b-1', bearer(KEY));
    expect(view).toMatchObject({ state: 'finished', done: 3, failed: 1, timed: true, startedAt: expect.any(Number), finishedAt: expect.any(Number) });
    expect(view.spans.map((s: { outcome: string }) => s.outcome).sort()).toEqual(['failed', 'passed', 'passed']);
    for (const span of view.spans) expect(span.to).toBeLessThanOrEqual(view.finishedAt);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('streams a snapshot, then deltas as the run goes; the list stream, the rows that change', async () => {
  const server = await startTestServer({ viewToken: VIEW_TOKEN });
  const list = await Events.open(server, '/api/runs/events', bearer(KEY));
  expect(await list.next()).toEqual({ event: 'snapshot', data: { now: expect.any(Number), runs: [] } });

  const { node } = await Node.join(server, { buildId: 'live', workers: 2 });
  await node.enq(pendingTests(2));
  const run = await Events.open(server, '/api/runs/jest/live/events', bearer(KEY));
  const snapshot = await run.next();
  expect(snapshot.event).toBe('snapshot');
  expect(snapshot.data).toMatchObject({ buildId: 'live', state: 'running', total: 2, done: 0 });

  let { tests } = (await node.deq()).response as { tests: string[] };
  expect(await run.next()).toEqual({ event: 'deltas', data: [{ t: 'lease', at: expect.any(Number), node: 0, ids: tests }] });
  const deltas: Array<{ t: string }> = [];
  while (tests.length > 0) {
    ({ tests } = (await node.deq(Object.fromEntries(tests.map(id => [id, passed(0.1)])))).response as { tests: string[] });
  }
  while (deltas.at(-1)?.t !== 'finish') deltas.push(...(await run.next()).data);
  expect(deltas.map(d => d.t)).toEqual(['result', 'lease', 'result', 'finish']);
  expect(deltas.at(-1)).toEqual({ t: 'finish', at: expect.any(Number), summary: expect.objectContaining({ files: 2, passed: 2 }) });

  // The list saw the run appear and change; its last row is the finished run.
  let row: any;
  while (row?.state !== 'finished') row = (await list.next()).data.at(-1);
  expect(row).toMatchObject({ buildId: 'live', state: 'finished', total: 2, done: 2, failed: 0, nodeCount: 1 });
  expect(row.keyIndex).toBeUndefined();
  list.close();
  run.close();
});

it('answers bad paths with 400 or 404, other methods with 405', async () => {
  const server = await startTestServer();
  expect((await http(server, 'GET', '/api/runs/jest', bearer(KEY))).status).toBe(400);
  expect((await http(server, 'GET', '/api/runs/jest/%E0%A4%A', bearer(KEY))).status).toBe(400);
  expect((await http(server, 'GET', '/api/nothing', bearer(KEY))).status).toBe(404);
  expect((await http(server, 'GET', '/api/runs/jest/none', bearer(KEY))).status).toBe(404);
  expect((await http(server, 'POST', '/api/runs', bearer(KEY))).status).toBe(405);
});

it('dashboard: false answers 404 for the page, its files and its API', async () => {
  const server = await startTestServer({ dashboard: false });
  expect(server.dashboardUrl).toBeUndefined();
  for (const urlPath of ['/', '/assets/app.js', '/api/runs', '/sign-in']) expect((await http(server, 'GET', urlPath, bearer(KEY))).status).toBe(404);
  expect((await http(server, 'GET', '/health')).status).toBe(200);
  expect((await startTestServer()).dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
});

it('keeps a signed-in event stream when unauthenticated connections flood the pending-connection cap', async () => {
  const server = await startTestServer({ maxPendingConnections: 5 });
  const list = await Events.open(server, '/api/runs/events', bearer(KEY));
  expect((await list.next()).event).toBe('snapshot');
  const { connect } = await import('node:net');
  const stalled = Array.from({ length: 30 }, () => {
    const socket = connect(server.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    return socket;
  });
  try {
    await until(() => stalled.filter(s => s.destroyed).length >= 25, 'the stalled connections to be cut');
    // The stream is still there: a run's row reaches it.
    await Node.join(server, { buildId: 'after-the-flood' });
    expect((await list.next()).data).toEqual([expect.objectContaining({ buildId: 'after-the-flood' })]);
  } finally {
    for (const socket of stalled) socket.destroy();
    list.close();
  }
});

it('refuses a credential guessed too often from one address, with Retry-After', async () => {
  const server = await startTestServer();
  for (let i = 0; i < 20; i += 1) expect((await signIn(server, `wrong-${i}`)).status).toBe(401);
  const throttled = await signIn(server, KEY);
  expect(throttled.status).toBe(429);
  expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
  expect((await http(server, 'GET', '/api/runs', bearer('another-guess'))).status).toBe(429);
});
