/**
 * The HTTP server and its WebSocket upgrade: health check, refusals with an
 * HTTP status, the per-key connection limit, and a close() that is safe to
 * call twice. Each accepted socket becomes a Connection.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import debug from 'debug';
import { WebSocketServer } from 'ws';
import { CloseCodes, RUN_KEY } from '../../protocol/constants';
import { Connection } from './Connection';
import { Dashboard } from '../dashboard/Dashboard';
import { registrySource } from '../dashboard/runSource';
import { KeyRing } from '../host/KeyRing';
import { Outbox } from './Outbox';
import { handleReports, reportKeyOf, REPORTS_PATH } from './reportHttp';
import type { ResolvedServerOptions } from '../options';
import { RunRegistry } from '../host/RunRegistry';
import type { Stores } from '../store/types';
import type { OrchestratorServer, RunSnapshot, ServerStats } from '../types';
import { checkUpgrade, redactUrl } from './upgrade';
import { ServerMetrics, type HeldCounts } from '../metrics';
import type { QuarantinePolicy } from '../store/quarantine';
import { JsonLog } from './JsonLog';
import { bearerMatches } from '../dashboard/Credentials';

const log = debug('jest-fast-ci:server:connection');

/** A connection must send its HTTP headers (or upgrade request) within this. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** ...and a whole request, a report upload included, within this. */
const REQUEST_TIMEOUT_MS = 300_000;

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/** Answers a refused upgrade with a plain HTTP response, as ws's abortHandshake does. */
function refuse(socket: Duplex, status: number, reason: string): void {
  if (socket.writable) {
    const body = `${reason}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export class Orchestrator implements OrchestratorServer {
  #options: ResolvedServerOptions;
  #keys: KeyRing;
  #registry: RunRegistry;
  #http: Server;
  #wss: WebSocketServer;
  #connections = new Map<Connection, () => void>();
  readonly #outbox: Outbox;
  readonly #stores: Stores;
  readonly #dashboard: Dashboard | undefined;
  /** Sockets still in their HTTP handshake, oldest first. */
  readonly #handshaking = new Set<Socket>();
  #perKey = new Map<string, number>();
  #state = RUNNING;
  #closing: Promise<void> | undefined;
  #port = 0;
  readonly #metrics = new ServerMetrics();
  readonly #log: JsonLog | undefined;
  /** `/metrics` alone, with no credential (metricsPort). */
  #metricsHttp: Server | undefined;
  #metricsPort = 0;

  /** `keySecret`: the store's (the same for every server on it, across restarts). */
  constructor(options: ResolvedServerOptions, stores: Stores, keySecret: Buffer) {
    this.#options = options;
    this.#stores = stores;
    this.#keys = new KeyRing(options.secretKeys, keySecret);
    // A local journal holds replies until their records are synced (group commit); Redis commits before a reply is decided.
    const { runs } = stores;
    this.#outbox = new Outbox({ ...(runs.shared ? {} : { durable: runs }), maxUnsentBytes: options.maxUnsentBytes, warn: options.warn });
    if (!runs.shared) runs.onPending(() => this.#outbox.schedule());
    this.#log = options.logLine === undefined ? undefined : new JsonLog(options.logLine);
    const store = runs.shared ? 'redis' : 'local';
    const metrics = this.#metrics;
    const timings = {
      lock: (seconds: number) => metrics.store('lock', store, seconds),
      commit: (seconds: number) => metrics.store('commit', store, seconds),
      failed: () => {
        metrics.storeError(store);
        this.#log?.write('store.error', { store });
      },
    };
    this.#registry = new RunRegistry(
      {
        maxRunsPerKey: options.maxRunsPerKey,
        finishedRunTtlMs: options.finishedRunTtlMs,
        maxFinishedRuns: options.maxFinishedRuns,
        run: { ...options, timings },
        warn: options.warn,
        quarantine: quarantinePolicy(options),
      },
      this.#keys,
      stores,
    );
    metrics.held = () => heldCounts(this.#registry);
    this.#registry.onEvents((host, events) => {
      metrics.events(events.map(e => e.t));
      this.#log?.runEvents(host.state, events);
    });
    this.#dashboard = options.dashboard
      ? new Dashboard({
          source: registrySource(this.#registry, this.#keys),
          keys: this.#keys,
          viewToken: options.viewToken,
          history: stores.history,
          tests: stores.tests,
          testWindow: { runs: options.testHistoryRuns, days: options.testHistoryDays },
          quarantine: stores.quarantine,
          quarantinePolicy: quarantinePolicy(options),
        })
      : undefined;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: options.maxFrameBytes, clientTracking: false });
    // Short handshake timeouts, checked every second: a stalled handshake
    // holds a descriptor. A whole request (a report upload) may take longer.
    this.#http = createServer({ headersTimeout: HANDSHAKE_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 }, (req, res) =>
      this.#onRequest(req, res),
    );
    this.#http.on('connection', (socket: Socket) => this.#onConnection(socket));
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    this.#http.on('clientError', (_error, socket) => refuse(socket, 400, 'bad request'));
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    return `ws://${host}:${this.#port}`;
  }

  get metricsUrl(): string | undefined {
    if (this.#metricsHttp === undefined) return undefined;
    const host = this.#options.metricsHost.includes(':') ? `[${this.#options.metricsHost}]` : this.#options.metricsHost;
    return `http://${host}:${this.#metricsPort}/metrics`;
  }

  get dashboardUrl(): string | undefined {
    return this.#dashboard === undefined ? undefined : `${this.url.replace(/^ws:/, 'http:')}/`;
  }

  /** Restores the store's runs, then listens. */
  async listen(): Promise<void> {
    await this.#registry.restore();
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#http.once('error', onError);
      this.#http.listen(this.#options.port, this.#options.host, () => {
        this.#http.off('error', onError);
        this.#http.on('error', error => log('http server error: %s', error.message));
        const address = this.#http.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : this.#options.port;
        log('listening on %s', this.url);
        this.#log?.write('server.listening', { port: this.#port });
        resolve();
      });
    });
    await this.#listenForMetrics();
  }

  /** The metrics listener (metricsPort): `/metrics` only, with no credential. */
  async #listenForMetrics(): Promise<void> {
    const { metricsPort, metricsHost } = this.#options;
    if (metricsPort === undefined) return;
    const server = createServer({ headersTimeout: HANDSHAKE_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
      if ((req.url ?? '/').split('?')[0] === '/metrics' && req.method === 'GET') return void this.#scrape(res);
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: this listener serves GET /metrics only\n');
    });
    this.#metricsHttp = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(metricsPort, metricsHost, () => {
        server.off('error', reject);
        const address = server.address();
        this.#metricsPort = typeof address === 'object' && address !== null ? address.port : metricsPort;
        resolve();
      });
    });
  }

  async #scrape(res: ServerResponse): Promise<void> {
    try {
      const { body, contentType } = await this.#metrics.scrape();
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
    } catch (error) {
      log('metrics failed: %s', (error as Error).message);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('the metrics could not be collected\n');
    }
  }

  runs(): RunSnapshot[] {
    return this.#registry.snapshots();
  }

  stats(): ServerStats {
    const journal = this.#stores.runs.stats;
    return { sockets: this.#connections.size, runs: this.#registry.size, journalRecords: journal.records, journalSyncs: journal.syncs };
  }

  run(buildId: string, runKey: string = RUN_KEY): RunSnapshot | undefined {
    return this.#registry.snapshotOf(buildId, runKey);
  }

  waitForRun(buildId: string, runKey: string = RUN_KEY): Promise<RunSnapshot> {
    if (this.#state !== RUNNING) return Promise.reject(new Error('the server is closed'));
    return this.#registry.waitFor(buildId, runKey);
  }

  close(code: 1001 | 1012 = CloseCodes.goingAway): Promise<void> {
    if (this.#closing === undefined) this.#closing = this.#shutdown(code);
    return this.#closing;
  }

  async #shutdown(code: number): Promise<void> {
    // The listener stays open while sockets close: a load balancer's health
    // check gets a 503 (and a new node a 503 to its upgrade) rather than a
    // refused connection it might retry elsewhere blindly.
    this.#state = CLOSING;
    const socketsClosed = [...this.#connections.keys()].map(
      connection =>
        new Promise<void>(resolve => {
          this.#connections.set(connection, resolve);
          connection.close(code, 'server shutting down');
        }),
    );
    const waited = setTimeout(() => {
      for (const connection of this.#connections.keys()) connection.terminate();
    }, this.#options.shutdownGraceMs);
    await Promise.all(socketsClosed);
    clearTimeout(waited);
    this.#dashboard?.close();
    this.#registry.close();
    await this.#stores.close();
    this.#wss.close();
    const metricsHttp = this.#metricsHttp;
    if (metricsHttp !== undefined) {
      const closed = new Promise<void>(resolve => metricsHttp.close(() => resolve()));
      metricsHttp.closeAllConnections();
      await closed;
    }
    this.#log?.write('server.closed');
    const httpClosed = new Promise<void>(resolve => this.#http.close(() => resolve()));
    this.#http.closeAllConnections();
    await httpClosed;
    this.#state = CLOSED;
    log('closed');
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    // A request with a credential of this server (a report transfer, a dashboard stream) is no pending connection:
    // a flood of unauthenticated ones must not cut it.
    if (this.#isAuthenticated(req)) this.#handshaking.delete(req.socket);
    const path = (req.url ?? '/').split('?')[0]!;
    if (this.#dashboard?.handles(path) && this.#state === RUNNING) return this.#dashboard.handle(req, res);
    if (path.startsWith(REPORTS_PATH) && this.#state === RUNNING) {
      return handleReports(req, res, {
        keys: this.#keys,
        registry: this.#registry,
        store: this.#stores.reports,
        maxLineBytes: this.#options.maxReportBytesPerRun,
        bytes: (direction, n) => this.#metrics.reportBytes(direction, n),
      });
    }
    if (path === '/metrics' && req.method === 'GET') {
      // On the main port, a credential: the numbers tell how busy every key's CI is.
      const { metricsToken, viewToken } = this.#options;
      if (bearerMatches(req, metricsToken) || bearerMatches(req, viewToken)) return void this.#scrape(res);
      const how = metricsToken === undefined && viewToken === undefined ? 'set a view token or FAST_CI_METRICS_TOKEN, or serve them on --metrics-port' : 'send Authorization: Bearer <metrics token or view token>';
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' }).end(`/metrics needs a credential: ${how}\n`);
      return;
    }
    const healthy = path === '/health' && (req.method === 'GET' || req.method === 'HEAD');
    const body = healthy ? JSON.stringify({ status: this.#state === RUNNING ? 'ok' : 'closing' }) : JSON.stringify({ error: 'not found' });
    res.writeHead(healthy ? (this.#state === RUNNING ? 200 : 503) : 404, { 'content-type': 'application/json' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** A key as the report endpoints take it, or a credential the dashboard takes. */
  #isAuthenticated(req: IncomingMessage): boolean {
    return this.#keys.match(reportKeyOf(req)) !== undefined || this.#dashboard?.isSignedIn(req) === true;
  }

  /**
   * A new TCP connection. Past maxPendingConnections still in their
   * handshake, the oldest is cut: a real node's handshake takes
   * milliseconds, so it is never the oldest, while a flood of stalled ones
   * cannot hold every descriptor.
   */
  #onConnection(socket: Socket): void {
    this.#handshaking.add(socket);
    socket.once('close', () => this.#handshaking.delete(socket));
    if (this.#handshaking.size > this.#options.maxPendingConnections) {
      const oldest = this.#handshaking.values().next().value!;
      this.#handshaking.delete(oldest);
      log('cut a connection still in its handshake: over %d', this.#options.maxPendingConnections);
      oldest.destroy();
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#handshaking.delete(socket as Socket);
    socket.on('error', error => log('upgrade socket error: %s', error.message));
    if (this.#state !== RUNNING) return refuse(socket, 503, 'the server is shutting down');
    const decision = checkUpgrade(req.url, this.#keys);
    if (!decision.ok) {
      log('refused %s: %d %s', redactUrl(req.url), decision.status, decision.reason);
      this.#metrics.refused('upgrade');
      this.#log?.write('socket.refused', { status: decision.status, reason: decision.reason });
      return refuse(socket, decision.status, decision.reason);
    }
    const { params } = decision;
    const open = this.#perKey.get(params.key.hash) ?? 0;
    if (open >= this.#options.maxConnectionsPerKey) {
      log('refused %s: connection limit', redactUrl(req.url));
      this.#metrics.refused('upgrade');
      this.#log?.write('socket.refused', { status: 429, reason: 'connection limit' });
      return refuse(socket, 429, `too many connections for this key (limit ${this.#options.maxConnectionsPerKey})`);
    }
    this.#wss.handleUpgrade(req, socket, head, ws => {
      this.#perKey.set(params.key.hash, (this.#perKey.get(params.key.hash) ?? 0) + 1);
      const connection: Connection = new Connection(ws, {
        registry: this.#registry,
        params,
        idleTimeoutMs: this.#options.idleTimeoutMs,
        publicUrl: this.#options.publicUrl,
        metrics: this.#metrics,
        outbox: this.#outbox,
        onClosed: () => {
          const left = (this.#perKey.get(params.key.hash) ?? 1) - 1;
          if (left > 0) this.#perKey.set(params.key.hash, left);
          else this.#perKey.delete(params.key.hash);
          const settle = this.#connections.get(connection);
          this.#connections.delete(connection);
          settle?.();
        },
      });
      this.#connections.set(connection, () => undefined);
      log('#%d: accepted %s (key #%d)', connection.id, redactUrl(req.url), params.key.index);
    });
  }
}

/** What the gauges show: the unfinished runs held here, their connected nodes, queued and leased files. */
function heldCounts(registry: RunRegistry): HeldCounts {
  let runs = 0;
  let nodes = 0;
  let queued = 0;
  let leased = 0;
  for (const host of registry.hosts()) {
    if (host.isFinished) continue;
    const { state } = host;
    runs += 1;
    for (const node of state.nodes) if (node.attachedTo !== undefined) nodes += 1;
    queued += state.queue.length;
    leased += state.leases.size;
  }
  return { runs, nodes, queued, leased };
}

/** The server's quarantine settings, as the pure rules take them. */
function quarantinePolicy(options: ResolvedServerOptions): QuarantinePolicy {
  return { autoAfter: options.autoQuarantine, days: options.quarantineDays, cleanRuns: options.quarantineCleanRuns, cap: options.quarantineCapPercent / 100 };
}
