/**
 * Hostile input (issue 5): thousands of random and mutated frames from
 * concurrent raw sockets while a real run proceeds on the same server.
 *
 * The frames are seeded (FUZZ_SEED=<n> to replay a failure's frames; the
 * interleaving of the sockets is up to the event loop). Each frame carries
 * what the server must do with it (see fuzz-helpers.ts), checked when its
 * socket settles: a reply (ok, or error with a reason) to every ref that can
 * be answered, a close with 1003/1007/1009 for frames that cannot, never a
 * null payload.
 */
import { connect } from 'node:net';
import { request } from 'node:http';
import { runInThisContext } from 'node:vm';
import type { OrchestratorServer } from '../../src/server';
import type { EntryMap, RunSummary } from '../../src/protocol/types';
import { cleanup, KEY, Node, OTHER_KEY, passed, pendingTests, RawSocket, resultsFor, startTestServer } from './helpers';
import { FuzzSocket, generate, Rng, type GenContext, type Received, type Vsn } from './fuzz-helpers';

afterEach(cleanup);

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
/** Bounds: at least FUZZ_MS and MIN_FRAMES (on a loaded machine), at most MAX_FUZZ_MS and MAX_FRAMES. */
const FUZZ_MS = 8_000;
const MAX_FUZZ_MS = 14_000;
const MIN_FRAMES = 3_000;
const MAX_FRAMES = 40_000;
const FUZZ_SOCKETS = 6;
const CHAOS_NODES = 3;
const MAX_FRAME_BYTES = 64 * 1024;
const MAX_FILES = 150;
const REAL_BUILD = 'fuzz-real';
const REAL_TOPIC = `test_orchestrator:jest-${REAL_BUILD}`;
const REAL_FILES = 100;
const FRESH_KEY = 'test-secret-key-fresh';
const MAX_PROBLEMS = 25;

/** The real process: Jest hands each test file a copy, whose listeners the real events never reach. */
const realProcess = runInThisContext('process') as NodeJS.Process;

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

/** Set when the test fails early, so every actor stops and Jest can exit. */
let aborted = false;

interface Stats {
  frames: number;
  checked: number;
  sockets: number;
  cut: number;
  closes: Record<string, number>;
  tcp: number;
  chaosSessions: number;
  problems: string[];
}

function problem(stats: Stats, text: string): void {
  if (stats.problems.length < MAX_PROBLEMS) stats.problems.push(text);
}

/** One fuzz socket after another until the deadline or the frame budget. */
async function fuzzSockets(server: OrchestratorServer, actor: number, started: number, stats: Stats): Promise<void> {
  const going = (): boolean => {
    const elapsed = Date.now() - started;
    return !aborted && elapsed < MAX_FUZZ_MS && stats.frames < MAX_FRAMES && (elapsed < FUZZ_MS || stats.frames < MIN_FRAMES);
  };
  const rng = new Rng(SEED * 31 + actor);
  let refs = 0;
  const topicPool = (sameKey: boolean): string[] => [
    ...['a', 'b', 'c'].map(b => `test_orchestrator:jest-fz-${b}`),
    // Sockets with the other key join the real run's topic name: a different run, which must stay apart.
    ...(sameKey ? [] : [REAL_TOPIC]),
  ];
  for (let n = 0; going(); n += 1) {
    const vsn: Vsn = rng.chance(0.5) ? '2.0.0' : '1.0.0';
    const key = rng.chance(0.6) ? KEY : OTHER_KEY;
    const runKey = rng.pick(['&run_key=jest', '', '&run_key=', '&run_key=rspec']);
    const socket = new FuzzSocket(server, `secret_key=${key}&vsn=${vsn}&build_id=${REAL_BUILD}${runKey}`, vsn);
    stats.sockets += 1;
    if (rng.chance(0.04)) {
      // Connect and vanish before the upgrade completes.
      socket.cut();
      await socket.closed;
      stats.cut += 1;
      continue;
    }
    if (!(await socket.opened)) {
      socket.problems.forEach(p => problem(stats, `socket ${actor}/${n}: ${p}`));
      continue;
    }
    const ctx: GenContext = {
      rng,
      vsn,
      realTopic: REAL_TOPIC,
      sameKeyAsReal: key === KEY && runKey !== '&run_key=rspec',
      joined: new Set(),
      topicPool: topicPool(key === KEY),
      maxFrameBytes: MAX_FRAME_BYTES,
      maxFilesPerRun: MAX_FILES,
      mayClose: rng.chance(0.35),
      nextRef: () => ++refs,
    };
    const burst = rng.int(1, 40);
    const cutAt = rng.chance(0.06) ? rng.int(0, burst) : -1;
    for (let i = 0; i < burst && i !== cutAt; i += 1) {
      for (const frame of generate(ctx)) socket.send(frame);
      if (rng.chance(0.02)) socket.ws.ping('fuzz');
    }
    let outcome: 'answered' | 'closed' | 'timeout' | 'cut';
    if (cutAt >= 0) {
      socket.cut();
      outcome = 'cut';
      stats.cut += 1;
    } else {
      outcome = await socket.settle(`settle-${actor}-${n}`, 10_000);
    }
    const report = await socket.check(outcome);
    stats.frames += report.frames;
    stats.checked += report.checked;
    if (report.closedBy !== undefined) stats.closes[report.closedBy] = (stats.closes[report.closedBy] ?? 0) + 1;
    report.problems.forEach(p => problem(stats, `socket ${actor}/${n} (${vsn}): ${p}`));
  }
}

/** Raw TCP: garbage bytes, torn and malformed upgrades, an upgrade followed by unmasked frames, then gone. */
async function tcpJunk(server: OrchestratorServer, deadline: number, stats: Stats): Promise<void> {
  const rng = new Rng(SEED * 31 + 1_000);
  const path = `/test_orchestrators/socket/websocket?secret_key=${OTHER_KEY}&vsn=2.0.0`;
  const upgrade = (wsKey: string): string =>
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${wsKey}\r\n\r\n`;
  const payloads: Array<() => string | Buffer> = [
    () => Buffer.from(Array.from({ length: rng.int(1, 256) }, () => rng.int(0, 255))),
    () => upgrade('dGhlIHNhbXBsZSBub25jZQ==').slice(0, rng.int(1, 150)),
    () => upgrade('not-a-key'),
    // Upgraded, then a frame without the client mask bit: ws must refuse it (1002), not the process.
    () => Buffer.concat([Buffer.from(upgrade('dGhlIHNhbXBsZSBub25jZQ==')), Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f])]),
    () => 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n',
    () => `POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${'z'.repeat(rng.int(0, 500))}`,
    () => `GET /${'%'.repeat(rng.int(1, 50))} HTTP/1.1\r\n\r\n`,
  ];
  while (!aborted && Date.now() < deadline) {
    await new Promise<void>(resolve => {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('connect', () => {
        socket.write(rng.pick(payloads)());
        setTimeout(() => socket.destroy(), rng.int(0, 20));
      });
    });
    stats.tcp += 1;
  }
}

/**
 * A node of the real run (same key, same topic) that misbehaves: garbage,
 * leaves, drops its socket while holding files, rejoins. Every result it
 * sends is a valid pass for a file it holds, so the summary stays exact.
 */
async function chaosNode(server: OrchestratorServer, actor: number, done: () => boolean, deadline: number, stats: Stats): Promise<void> {
  const rng = new Rng(SEED * 31 + 2_000 + actor);
  let refs = 0;
  const ref = (): string => String(++refs);
  const status = (reply: Received | undefined): unknown => (reply?.payload as { status?: unknown } | undefined)?.status;
  while (!aborted && !done() && Date.now() < deadline) {
    stats.chaosSessions += 1;
    const socket = new FuzzSocket(server, `secret_key=${KEY}&vsn=2.0.0&build_id=${REAL_BUILD}`, '2.0.0');
    if (!(await socket.opened)) {
      socket.problems.forEach(p => problem(stats, `chaos: ${p}`));
      continue;
    }
    const nodeId = rng.chance(0.7) ? `chaos-${actor}-${rng.int(0, 2)}` : undefined;
    let joinRef = ref();
    const join = (): Promise<Received | undefined> => socket.request([joinRef, ref(), REAL_TOPIC, 'phx_join', nodeId === undefined ? {} : { node_id: nodeId, workers: rng.int(1, 3) }], 2_000);
    if (status(await join()) !== 'ok') problem(stats, 'chaos: a join of the real run was refused');
    let held: string[] = [];
    let left = false;
    for (let step = rng.int(1, 8); step > 0 && !done() && socket.ws.readyState === socket.ws.OPEN; step -= 1) {
      const action = rng.weighted([
        [6, 'work'],
        [2, 'garbage'],
        [2, 'leave'],
        [1, 'drop'],
        [1, 'rejoin'],
        [1, 'pause'],
      ] as const);
      if (action === 'work') {
        const reply = await socket.request([joinRef, ref(), REAL_TOPIC, 'deq', resultsFor(held)], 300);
        held = [];
        if (reply === undefined) break; // held by the server (others hold the rest): give up this socket
        const payload = reply.payload as { status: string; response: { tests?: string[]; reason?: string } };
        if (payload.status === 'ok') held = payload.response.tests ?? [];
        // A node that said leave must join again before asking for work.
        else if (!left) problem(stats, `chaos: deq refused: ${payload.response.reason}`);
      } else if (action === 'garbage') {
        const ids = [...held, 'file-0.test.ts', 'nope.test.ts'];
        const bad = rng.pick<unknown[]>([
          [joinRef, ref(), REAL_TOPIC, 'deq', Object.fromEntries(ids.map(id => [id, { ...passed(), file_status: 'done' }]))],
          [joinRef, ref(), REAL_TOPIC, 'deq', Object.fromEntries(ids.map(id => [id, { ...passed(), test_count: -1 }]))],
          [joinRef, ref(), REAL_TOPIC, 'enq', { tests: pendingTests(REAL_FILES + 1) }],
          [joinRef, ref(), REAL_TOPIC, 'enq', { tests: { 'file-0.test.ts': { file_status: 'pending' } } }],
          [joinRef, ref(), REAL_TOPIC, 'requeue', {}],
        ]);
        const reply = await socket.request(bad, 2_000);
        if (status(reply) !== 'error') problem(stats, `chaos: ${JSON.stringify(bad).slice(0, 120)} got ${JSON.stringify(reply?.payload)}`);
      } else if (action === 'leave') {
        if (status(await socket.request([joinRef, ref(), REAL_TOPIC, 'leave', {}], 2_000)) !== 'ok') problem(stats, 'chaos: leave refused');
        held = [];
        left = true;
      } else if (action === 'drop') {
        break;
      } else if (action === 'rejoin') {
        joinRef = ref();
        if (status(await join()) !== 'ok') problem(stats, 'chaos: a rejoin of the real run was refused');
        // A new node without node_id: the old node's files come back after the grace. With it: kept, and reported next.
        if (nodeId === undefined) held = [];
        left = false;
      } else {
        await sleep(rng.int(5, 50));
      }
    }
    socket.cut();
    await socket.closed;
  }
}

/** One honest node of the real run: deq, "run" the batch, report, until the summary. */
async function honestNode(server: OrchestratorServer, node: Node, rng: Rng): Promise<RunSummary> {
  let results: EntryMap = {};
  for (let i = 0; i < 1_000; i += 1) {
    const reply = await node.deq(results);
    if (reply.status !== 'ok') {
      const run = server.run(REAL_BUILD);
      throw new Error(`deq: ${JSON.stringify(reply)}; run queued=${JSON.stringify(run?.queued)} leased=${JSON.stringify(run?.leased)} nodes=${JSON.stringify(run?.nodes)}`);
    }
    const { tests, summary } = reply.response as { tests: string[]; summary?: RunSummary };
    if (summary !== undefined) return summary;
    await sleep(rng.int(50, 250));
    results = resultsFor(tests);
  }
  throw new Error('the real run did not finish in 1000 deqs');
}

function health(server: OrchestratorServer): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`http://127.0.0.1:${server.port}/health`, res => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

it(`survives thousands of hostile frames while a real run completes (FUZZ_SEED=${SEED})`, async () => {
  const listenersBefore = realProcess.listenerCount('uncaughtException');
  const crashes: unknown[] = [];
  const onCrash = (error: unknown): void => void crashes.push(error);
  realProcess.on('uncaughtExceptionMonitor', onCrash);
  realProcess.on('unhandledRejection', onCrash);
  const stats: Stats = { frames: 0, checked: 0, sockets: 0, cut: 0, closes: {}, tcp: 0, chaosSessions: 0, problems: [] };
  const actors: Array<Promise<void>> = [];
  try {
    const server = await startTestServer({
      secretKeys: [KEY, OTHER_KEY, FRESH_KEY],
      recordFrames: false,
      maxFrameBytes: MAX_FRAME_BYTES,
      maxFilesPerRun: MAX_FILES,
      maxRunsPerKey: 20,
      maxConnectionsPerKey: 500,
      reconnectGraceMs: 300,
      // Chaos nodes vanish at random while holding files; that is not the files' doing.
      maxCrashesPerFile: 100,
    });

    // The real run: three phoenix nodes (V2, V1, V2), checked for null payloads like the fuzz sockets.
    const nodes: Node[] = [];
    for (let i = 0; i < 3; i += 1) {
      const { node, reply } = await Node.join(server, { buildId: REAL_BUILD, nodeId: `real-${i}`, workers: 4, vsn: i === 1 ? '1.0.0' : '2.0.0' });
      expect(reply.status).toBe('ok');
      node.socket.onMessage(message => {
        const { payload } = message as { payload?: unknown };
        if (payload === null || typeof payload !== 'object') problem(stats, `real node ${i} got a frame without an object payload: ${JSON.stringify(message)}`);
      });
      nodes.push(node);
    }

    const started = Date.now();
    const deadline = started + FUZZ_MS;
    let realDone = false;
    actors.push(...Array.from({ length: FUZZ_SOCKETS }, (_, actor) => fuzzSockets(server, actor, started, stats)));
    actors.push(tcpJunk(server, deadline, stats));
    await sleep(300);
    const enq = await nodes[0].enq(pendingTests(REAL_FILES, i => 1 + (i % 7)));
    expect(enq).toEqual({ status: 'ok', response: {} });
    actors.push(...Array.from({ length: CHAOS_NODES }, (_, actor) => chaosNode(server, actor, () => realDone, deadline + 10_000, stats)));
    const rng = new Rng(SEED * 31 + 3_000);
    const summaries = await Promise.all(nodes.map(node => honestNode(server, node, rng)));
    realDone = true;
    const realMs = Date.now() - started;
    await Promise.all(actors);
    const fuzzMs = Date.now() - started;

    // The real run: every file once, all passed, the same summary for every node.
    const run = server.runs().find(r => r.buildId === REAL_BUILD && r.keyIndex === 0)!;
    expect(run.state).toBe('finished');
    expect(Object.keys(run.results).sort()).toEqual(Object.keys(pendingTests(REAL_FILES)).sort());
    expect(run.enqueued).toEqual(pendingTests(REAL_FILES, i => 1 + (i % 7)));
    expect(run.summary).toMatchObject({ files: REAL_FILES, passed: REAL_FILES, failed: 0, pending: 0, tests: REAL_FILES });
    expect(Object.values(run.summary.files_by_node).reduce((a, b) => a + b, 0)).toBe(REAL_FILES);
    for (const summary of summaries) expect(summary).toEqual(run.summary);

    // Still serving: health, a fresh join on a new run, a late join of the finished run.
    expect(await health(server)).toBe(200);
    const fresh = await Node.join(server, { key: FRESH_KEY, buildId: 'after-fuzz' });
    expect(fresh.reply).toEqual({ status: 'ok', response: { event: 'join', node_index: 0, state: 'waiting', extensions: ['files', 'running', 'reports', 'backups', 'parts', 'retry_run', 'cancel', 'bail', 'warm', 'shard', 'run_url', 'quarantine'] } });
    expect((await fresh.node.enq(pendingTests(1))).status).toBe('ok');
    const batch = await fresh.node.deq();
    expect((await fresh.node.deq(resultsFor(batch.response.tests))).response.summary).toMatchObject({ files: 1, passed: 1 });
    const late = await Node.join(server, { buildId: REAL_BUILD });
    expect((await late.node.deq()).response.summary).toEqual(run.summary);

    // eslint-disable-next-line no-console
    console.log(
      `fuzz seed ${SEED}: ${stats.frames} frames on ${stats.sockets} sockets in ${fuzzMs} ms, ${stats.checked} replies checked ` +
        `(${Math.round((stats.frames * 1000) / fuzzMs)} frames/s); closes ${JSON.stringify(stats.closes)}; ${stats.cut} cut; ` +
        `${stats.tcp} raw TCP connections; ${stats.chaosSessions} chaos sessions; real run done in ${realMs} ms`,
    );
    expect(stats.frames).toBeGreaterThanOrEqual(MIN_FRAMES);
    expect(stats.problems).toEqual([]);
    expect(crashes).toEqual([]);
    expect(realProcess.listenerCount('uncaughtException')).toBe(listenersBefore);
  } catch (error) {
    if (error instanceof Error) error.message = `FUZZ_SEED=${SEED}: ${error.message}`;
    throw error;
  } finally {
    aborted = true;
    await Promise.allSettled(actors);
    realProcess.off('uncaughtExceptionMonitor', onCrash);
    realProcess.off('unhandledRejection', onCrash);
  }
}, 40_000);

describe('limits with clear errors (the rest are in bad-input.test.ts and upgrade.test.ts)', () => {
  it('answers a frame of exactly maxFrameBytes, and closes on one byte more with 1009 (ws sends no reason)', async () => {
    const server = await startTestServer({ maxFrameBytes: 4096 });
    const frameOf = (bytes: number, ref: string): string => {
      const base = JSON.stringify([null, ref, 'phoenix', 'heartbeat', { pad: '' }]);
      return JSON.stringify([null, ref, 'phoenix', 'heartbeat', { pad: 'p'.repeat(bytes - base.length) }]);
    };
    const raw = await RawSocket.open(server);
    raw.send(frameOf(4096, '1'));
    expect(await raw.nextFrame()).toEqual([null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    raw.send(frameOf(4097, '2'));
    const closed = await raw.closed;
    expect(closed.code).toBe(1009);
  });

  it('refuses a deq with more results than maxFilesPerRun, naming the limit', async () => {
    const server = await startTestServer({ maxFilesPerRun: 2 });
    const { node } = await Node.join(server);
    await node.enq(pendingTests(2));
    const reply = await node.deq(resultsFor(['a.test.ts', 'b.test.ts', 'c.test.ts']));
    expect(reply).toEqual({ status: 'error', response: { event: 'error', reason: 'deq results has 3 files; this server accepts at most 2 per run' } });
  });
});

it('does not lease files to a node that sent leave (they would be stuck until the lease timeout)', async () => {
  const server = await startTestServer({ reconnectGraceMs: 50 });
  const { node } = await Node.join(server);
  await node.enq(pendingTests(4));
  const raw = await RawSocket.open(server);
  raw.send(['1', '1', 'test_orchestrator:jest-build-1', 'phx_join', {}]);
  expect((await raw.nextFrame())[4].status).toBe('ok');
  raw.send(['1', '2', 'test_orchestrator:jest-build-1', 'leave', {}]);
  expect((await raw.nextFrame())[4]).toEqual({ status: 'ok', response: {} });
  raw.send(['1', '3', 'test_orchestrator:jest-build-1', 'deq', {}]);
  const refused = (await raw.nextFrame())[4];
  expect(refused.status).toBe('error');
  expect(refused.response.reason).toBe('this node sent leave; join again to get more files');
  raw.close();
  await raw.closed;
  let reply = await node.deq();
  while (reply.response.tests.length > 0) reply = await node.deq(resultsFor(reply.response.tests));
  expect(reply.response.summary).toMatchObject({ files: 4, passed: 4 });
});
