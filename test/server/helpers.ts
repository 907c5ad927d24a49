/**
 * Test helpers: a real server on 127.0.0.1:0, nodes driven by the official
 * phoenix client (V1 or V2), and raw ws sockets for frames phoenix would
 * never send.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Socket, type Channel, type Push } from 'phoenix';
import WebSocket from 'ws';
import { startServer, type OrchestratorServer, type ServerOptions } from '../../src/server';
import { pendingEntry } from '../../src/protocol/entries';
import type { EntryMap, FileEntry, RetryRunRequest } from '../../src/protocol/types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const wsTransport = require('ws');

export const KEY = 'test-secret-key-one';
export const OTHER_KEY = 'test-secret-key-two';

const servers = new Set<OrchestratorServer>();
const clients = new Set<Node>();

/** What the test servers told an operator (options.warn), instead of printing it. */
export const serverWarnings: string[] = [];

/** The store the test servers use: 'redis' in the redis project (jest.config.ts), else in memory or the data dir. */
export const STORE: 'redis' | 'local' = (globalThis as { FAST_CI_TEST_STORE?: string }).FAST_CI_TEST_STORE === 'redis' ? 'redis' : 'local';

/**
 * In the redis project each server keeps its runs in the project's
 * redis-server, under a prefix of its own; a test's `dataDir` names the
 * prefix instead, so a server started again with it finds its runs, as it
 * would in the directory.
 */
function storeOptions(options: Partial<ServerOptions>): Partial<ServerOptions> {
  if (STORE === 'local') return options;
  const url = process.env.FAST_CI_TEST_REDIS_URL;
  if (url === undefined) throw new Error('the redis project runs without its redis-server (test/setup/redisGlobal.ts)');
  const { dataDir, ...rest } = options;
  const name = dataDir === undefined ? randomUUID() : createHash('sha256').update(dataDir).digest('hex');
  return { redis: url, redisPrefix: `t${name.replace(/-/g, '').slice(0, 24)}:`, ...rest };
}

export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<OrchestratorServer> {
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    secretKeys: [KEY, OTHER_KEY],
    recordFrames: true,
    warn: message => serverWarnings.push(message),
    ...storeOptions(options),
  });
  servers.add(server);
  return server;
}

/** Closes every node and server a test opened; call from afterEach. */
export async function cleanup(): Promise<void> {
  await Promise.all([...clients].map(c => c.close()));
  await Promise.all([...servers].map(s => s.close()));
  clients.clear();
  servers.clear();
  serverWarnings.length = 0;
}

/** The V1 object codec; phoenix's defaults are the V2 arrays. */
const v1Codec = {
  encode: (message: object, callback: (encoded: string) => void) => callback(JSON.stringify(message)),
  decode: (raw: string, callback: (decoded: unknown) => void) => callback(JSON.parse(raw)),
};

export interface Reply {
  status: 'ok' | 'error' | 'timeout';
  response: any;
}

export interface NodeOptions {
  vsn?: '1.0.0' | '2.0.0';
  key?: string;
  buildId?: string;
  runKey?: string;
  nodeId?: string;
  workers?: number;
  /** Join payload `accepts` (e.g. ['parts']). */
  accepts?: string[];
  params?: Record<string, string>;
  /** The retry_run join extension (a retried CI job). */
  retryRun?: RetryRunRequest;
}

/** One node: a phoenix socket and its channel on the run topic. */
export class Node {
  readonly socket: Socket;
  readonly channel: Channel;
  readonly pushes: Array<{ event: string; payload: unknown }> = [];
  #pending = new Set<Push>();
  #waiters: Array<{ event: string; resolve: () => void }> = [];

  constructor(server: OrchestratorServer, options: NodeOptions = {}) {
    const buildId = options.buildId ?? 'build-1';
    const runKey = options.runKey ?? 'jest';
    this.socket = new Socket(`${server.url}/test_orchestrators/socket`, {
      transport: wsTransport,
      params: { build_id: buildId, run_key: runKey, secret_key: options.key ?? KEY, ...options.params },
      ...(options.vsn === '1.0.0' ? { vsn: '1.0.0', ...v1Codec } : {}),
      reconnectAfterMs: () => 50,
      rejoinAfterMs: () => 50,
    } as any);
    this.channel = this.socket.channel(`test_orchestrator:${runKey}-${buildId}`, {
      ...(options.nodeId === undefined ? {} : { node_id: options.nodeId }),
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(options.accepts === undefined ? {} : { accepts: options.accepts }),
      ...(options.retryRun === undefined ? {} : { retry_run: options.retryRun }),
    });
    for (const event of ['deq_request', 'enq_request']) {
      this.channel.on(event, payload => {
        this.pushes.push({ event, payload });
        this.#waiters = this.#waiters.filter(w => (w.event === event ? (w.resolve(), false) : true));
      });
    }
    clients.add(this);
  }

  static async join(server: OrchestratorServer, options: NodeOptions = {}): Promise<{ node: Node; reply: Reply }> {
    const node = new Node(server, options);
    node.socket.connect();
    const reply = await node.#track(node.channel.join(5_000));
    return { node, reply };
  }

  push(event: string, payload: object): Promise<Reply> {
    return this.#track(this.channel.push(event, payload, 5_000));
  }

  enq(tests: EntryMap): Promise<Reply> {
    return this.push('enq', { tests });
  }

  deq(results: EntryMap = {}): Promise<Reply> {
    return this.push('deq', results);
  }

  /** Resolves at the next push of `event` (or at once if one already came). */
  nextPush(event: string): Promise<void> {
    if (this.pushes.some(p => p.event === event)) return Promise.resolve();
    return new Promise(resolve => this.#waiters.push({ event, resolve }));
  }

  async close(): Promise<void> {
    // phoenix keeps a push's timeout timer alive after disconnect(); cancel them so Jest can exit.
    for (const push of this.#pending) (push as any).cancelTimeout();
    this.#pending.clear();
    (this.channel as any).rejoinTimer?.reset();
    await new Promise<void>(resolve => this.socket.disconnect(() => resolve(), 1000, 'test done'));
    clients.delete(this);
  }

  #track(push: Push): Promise<Reply> {
    this.#pending.add(push);
    return new Promise(resolve => {
      const done = (status: Reply['status']) => (response: unknown) => {
        this.#pending.delete(push);
        resolve({ status, response });
      };
      push.receive('ok', done('ok')).receive('error', done('error')).receive('timeout', done('timeout'));
    });
  }
}

/** `n` pending entries named `file-<i>.test.ts`, with durations when given. */
export function pendingTests(n: number, seconds: (i: number) => number | undefined = () => undefined): EntryMap {
  const tests: EntryMap = {};
  for (let i = 0; i < n; i += 1) {
    const s = seconds(i);
    tests[`file-${i}.test.ts`] = pendingEntry(s === undefined ? undefined : s * 1000);
  }
  return tests;
}

export function passed(seconds = 0.01): FileEntry {
  return {
    file_status: 'passed',
    test_count: 1,
    test_counters: { failed: 0, passed: 1, pending: 0 },
    run_time: seconds,
    '1': { status: 'passed', run_time: seconds, description: 'works' },
  };
}

export function resultsFor(ids: string[], entry: FileEntry = passed()): EntryMap {
  return Object.fromEntries(ids.map(id => [id, entry]));
}

/** A raw ws socket for malformed frames. */
export class RawSocket {
  readonly ws: WebSocket;
  readonly frames: unknown[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  #waiters: Array<() => void> = [];
  #read = 0;

  constructor(server: OrchestratorServer, query: string) {
    this.ws = new WebSocket(`${server.url}/test_orchestrators/socket/websocket?${query}`);
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise(resolve => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', data => {
      this.frames.push(JSON.parse(data.toString()));
      this.#waiters.splice(0).forEach(w => w());
    });
  }

  static async open(server: OrchestratorServer, query = `secret_key=${KEY}&vsn=2.0.0`): Promise<RawSocket> {
    const socket = new RawSocket(server, query);
    await socket.opened;
    return socket;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame not yet read by nextFrame, waiting for it if needed. */
  async nextFrame(): Promise<any> {
    while (this.frames.length <= this.#read) await new Promise<void>(resolve => this.#waiters.push(resolve));
    return this.frames[this.#read++];
  }

  close(): void {
    this.ws.terminate();
  }
}

/** The HTTP status and body of a refused upgrade. */
export function upgradeStatus(server: OrchestratorServer, query: string, path = '/test_orchestrators/socket/websocket'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url}${path}?${query}`);
    ws.on('error', () => undefined);
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', chunk => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

/** Waits until `predicate` holds, checking on each tick of the event loop (no wall-clock assertions). */
export async function until(predicate: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2_000; i += 1) {
    if (predicate()) return;
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
