/**
 * Server options: the public shape, its defaults, and the one function that
 * turns what a caller passed into a frozen, validated object. Every other
 * server module reads only the resolved options.
 */

export interface ServerOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free port. @default 4000 */
  port?: number;
  /** Accepted secret keys (non-empty strings). Runs are namespaced by key. */
  secretKeys: string[];
  /** A file leased this long without a result goes back to the queue. @default 30 min */
  leaseTimeoutMs?: number;
  /** Leases of a socket that closed without `leave` are kept this long for a rejoin with the same node_id. @default 30 s */
  reconnectGraceMs?: number;
  /**
   * A node whose socket closed keeps its files for its reconnect grace; but
   * after this long, nodes with nothing left to do run copies of them (the
   * first result counts), so the run does not wait out the grace. @default 5 s
   */
  handoffAfterMs?: number;
  /**
   * A file still running this long past twice its expected duration is
   * copied to a node with nothing left to do (the first result counts).
   * @default 10 s
   */
  stragglerSlackMs?: number;
  /**
   * A file expected to take at least this long, and longer than one
   * worker's share of the run, runs in parts on several nodes (clients that
   * accept parts; the server must have seen its tests in an earlier run).
   * @default 10 s
   */
  splitMinSeconds?: number;
  /** A socket with no inbound frame for this long is closed (Phoenix's default). @default 60 s */
  idleTimeoutMs?: number;
  /** Largest inbound frame; a larger one closes the socket with 1009. @default 16 MiB */
  maxFrameBytes?: number;
  /** Largest run, in files. @default 100_000 */
  maxFilesPerRun?: number;
  /** Unfinished runs per key. @default 1_000 */
  maxRunsPerKey?: number;
  /** Open sockets per key. @default 2_000 */
  maxConnectionsPerKey?: number;
  /** Nodes one run may have (a rejoin by node_id does not count again). @default 1_000 */
  maxNodesPerRun?: number;
  /**
   * A file that was running on this many nodes when each of them died
   * (process.exit in a test, a native crash, out of memory) is recorded as
   * failed instead of taking down the next node. @default 2
   */
  maxCrashesPerFile?: number;
  /**
   * Finished runs are kept this long for inspection (at most
   * `maxFinishedRuns` of them); unfinished runs nobody is connected to are
   * dropped after the same time. @default 1 h
   */
  finishedRunTtlMs?: number;
  /** On close(), how long to wait for clients to answer the close frame before cutting their sockets. @default 2 s */
  shutdownGraceMs?: number;
  /**
   * Connections still in their HTTP handshake (not yet a socket with a
   * key). Past this the oldest is cut, so slow or stalled handshakes cannot
   * starve real nodes and `/health`. @default 256
   */
  maxPendingConnections?: number;
  /** A socket whose unsent output passes this (a client that stopped reading) is cut. @default 64 MiB */
  maxUnsentBytes?: number;
  /** Bytes of whole-run reports (results, coverage) one run may hold. @default 512 MiB */
  maxReportBytesPerRun?: number;
  /** Bytes of whole-run reports one node of a run may send (its results and its merged coverage). @default 128 MiB */
  maxReportBytesPerNode?: number;
  /** Bytes of whole-run reports held in memory across runs, without a data dir (with one they are on disk). @default 1 GiB */
  maxReportMemoryBytes?: number;
  /** Where the server tells an operator what it skipped or could not write (journal lines at restore, a failed write). Default: stderr. */
  warn?: (message: string) => void;
  /** Directory for the run journal and duration history; none keeps everything in memory. */
  dataDir?: string;
  /**
   * Keep runs in Redis (`redis://[user:password@]host:port[/db]`, or
   * `rediss://` for TLS), shared by every server given the same URL: run
   * several behind a load balancer, and restart or lose any of them, without
   * losing a run. Not with `dataDir`.
   */
  redis?: string;
  /** Prefix of the Redis keys, so deployments can share one Redis. @default 'fastci:' */
  redisPrefix?: string;
  /** Keep every decoded inbound frame per run, for inspection in tests. @default false */
  recordFrames?: boolean;
  /** Serve the dashboard (the page at `/`, its JSON API under `/api/`); false answers 404 there. @default true */
  dashboard?: boolean;
  /**
   * A read-only credential for the dashboard that sees every key's runs (a
   * secret key sees its own only). At least 16 characters; none by default.
   */
  viewToken?: string;
  /**
   * The address people reach this server at (behind a proxy, say
   * `https://ci-queue.example.com/`): nodes print their run's page there, at
   * start and at the end. None by default (nodes then print no link).
   */
  publicUrl?: string;
  /**
   * Serve `/metrics` (Prometheus text format) on a listener of its own at
   * this port (0 picks one), on `metricsHost`, with no credential: keep it on
   * a private interface. `/metrics` on the main port always needs a
   * credential (`metricsToken` or the view token, as a Bearer header).
   */
  metricsPort?: number;
  /** Interface of the metrics listener. @default '127.0.0.1' */
  metricsHost?: string;
  /** Bearer credential for `/metrics` on the main port (at least 16 characters). */
  metricsToken?: string;
  /**
   * `json`: one JSON object per line for each thing that happens to a run
   * (opened, node joined or gone, finished, refusals, store errors), to
   * `logLine` (default stderr); the secret key is never in it. Default: none
   * (the `debug` log, DEBUG=jest-fast-ci:*, is always there).
   */
  logFormat?: 'json';
  /** Where JSON log lines go. Default: process.stderr. */
  logLine?: (line: string) => void;
  /** Outcomes kept per test in the test history (flaky tests, docs/flaky.md). @default 30 */
  testHistoryRuns?: number;
  /** Days a test's outcome is kept in the test history. @default 30 */
  testHistoryDays?: number;
  /** A test enters quarantine by itself after this many flakes in the test history; none by default (docs/flaky.md). */
  autoQuarantine?: number;
  /** Days an automatic quarantine (or a hand one without its own expiry) lasts. @default 14 */
  quarantineDays?: number;
  /** Clean runs in a row after which an automatic quarantine ends. @default 10 */
  quarantineCleanRuns?: number;
  /** Most of a run's tests that may be quarantined, in percent (at least one test). @default 5 */
  quarantineCapPercent?: number;
}

export interface ResolvedServerOptions {
  readonly host: string;
  readonly port: number;
  readonly secretKeys: readonly string[];
  readonly leaseTimeoutMs: number;
  readonly reconnectGraceMs: number;
  readonly handoffAfterMs: number;
  readonly stragglerSlackMs: number;
  readonly splitMinSeconds: number;
  readonly idleTimeoutMs: number;
  readonly maxFrameBytes: number;
  readonly maxFilesPerRun: number;
  readonly maxRunsPerKey: number;
  readonly maxConnectionsPerKey: number;
  readonly maxNodesPerRun: number;
  readonly maxCrashesPerFile: number;
  readonly finishedRunTtlMs: number;
  readonly maxFinishedRuns: number;
  readonly shutdownGraceMs: number;
  readonly maxPendingConnections: number;
  readonly maxUnsentBytes: number;
  readonly maxReportBytesPerRun: number;
  readonly maxReportBytesPerNode: number;
  readonly maxReportMemoryBytes: number;
  readonly warn: (message: string) => void;
  readonly dataDir: string | undefined;
  readonly redis: string | undefined;
  readonly redisPrefix: string;
  readonly recordFrames: boolean;
  readonly dashboard: boolean;
  readonly viewToken: string | undefined;
  /** Without a trailing slash. */
  readonly publicUrl: string | undefined;
  readonly metricsPort: number | undefined;
  readonly metricsHost: string;
  readonly metricsToken: string | undefined;
  readonly logLine: ((line: string) => void) | undefined;
  readonly testHistoryRuns: number;
  readonly testHistoryDays: number;
  readonly autoQuarantine: number | undefined;
  readonly quarantineDays: number;
  readonly quarantineCleanRuns: number;
  readonly quarantineCapPercent: number;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 4000,
  leaseTimeoutMs: 30 * 60_000,
  reconnectGraceMs: 30_000,
  handoffAfterMs: 5_000,
  stragglerSlackMs: 10_000,
  splitMinSeconds: 10,
  idleTimeoutMs: 60_000,
  maxFrameBytes: 16 * 1024 * 1024,
  maxFilesPerRun: 100_000,
  maxRunsPerKey: 1_000,
  maxConnectionsPerKey: 2_000,
  maxNodesPerRun: 1_000,
  maxCrashesPerFile: 2,
  finishedRunTtlMs: 60 * 60_000,
  maxFinishedRuns: 1_000,
  shutdownGraceMs: 2_000,
  maxPendingConnections: 256,
  maxUnsentBytes: 64 * 1024 * 1024,
  // docs/reporting.md has the arithmetic: a node sends its results and its coverage merged once.
  maxReportBytesPerRun: 512 * 1024 * 1024,
  maxReportBytesPerNode: 128 * 1024 * 1024,
  maxReportMemoryBytes: 1024 * 1024 * 1024,
  testHistoryRuns: 30,
  testHistoryDays: 30,
  quarantineDays: 14,
  quarantineCleanRuns: 10,
  quarantineCapPercent: 5,
} as const;

/** Shortest view token: it opens every key's runs. */
export const MIN_VIEW_TOKEN_LENGTH = 16;
/** Shortest secret key accepted: a short one is guessed, whatever the throttles. */
export const MIN_SECRET_KEY_LENGTH = 8;

// setTimeout clamps anything above 2^31-1 ms to 1 ms, which would turn a
// "very long" timeout into an immediate one.
const MAX_TIMER_MS = 2 ** 31 - 1;

function positiveInt(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new TypeError(`options.${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Applies the defaults, then validates. Throws TypeError naming the bad option. */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  if (options == null || typeof options !== 'object') throw new TypeError('startServer needs an options object');
  const keys = options.secretKeys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError('options.secretKeys must be a non-empty array of keys');
  }
  keys.forEach((key, i) => {
    if (typeof key !== 'string' || key === '') throw new TypeError(`options.secretKeys[${i}] must be a non-empty string`);
    if (key.length < MIN_SECRET_KEY_LENGTH) {
      throw new TypeError(`options.secretKeys[${i}] must be at least ${MIN_SECRET_KEY_LENGTH} characters: a short key can be guessed; use a long random one (for example: openssl rand -hex 16)`);
    }
  });
  const port = options.port ?? DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`options.port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  const host = options.host ?? DEFAULTS.host;
  if (typeof host !== 'string' || host === '') throw new TypeError('options.host must be a non-empty string');
  if (options.dataDir !== undefined && (typeof options.dataDir !== 'string' || options.dataDir === '')) {
    throw new TypeError('options.dataDir must be a non-empty string (a directory path)');
  }
  if (options.redis !== undefined && (typeof options.redis !== 'string' || !/^rediss?:\/\/./.test(options.redis))) {
    throw new TypeError('options.redis must be a Redis URL: redis://[user:password@]host:port[/db] (rediss:// for TLS)');
  }
  if (options.redis !== undefined && options.dataDir !== undefined) {
    throw new TypeError('options.redis and options.dataDir cannot be used together: with Redis, runs and history live in Redis (persist them with its AOF)');
  }
  if (options.redisPrefix !== undefined && (typeof options.redisPrefix !== 'string' || !/^[\w:.-]{1,64}$/.test(options.redisPrefix))) {
    throw new TypeError('options.redisPrefix must be 1 to 64 letters, digits, "_", ":", "." or "-"');
  }
  if (options.warn !== undefined && typeof options.warn !== 'function') throw new TypeError('options.warn must be a function (message: string) => void');
  if (options.dashboard !== undefined && typeof options.dashboard !== 'boolean') throw new TypeError(`options.dashboard must be true or false, got ${String(options.dashboard)}`);
  const { viewToken } = options;
  if (viewToken !== undefined && (typeof viewToken !== 'string' || viewToken.trim().length < MIN_VIEW_TOKEN_LENGTH || /\s/.test(viewToken))) {
    throw new TypeError(`options.viewToken must be a string of at least ${MIN_VIEW_TOKEN_LENGTH} characters without spaces`);
  }
  if (viewToken !== undefined && keys.includes(viewToken)) throw new TypeError('options.viewToken must differ from every secret key: it sees every key\'s runs');
  const publicUrl = options.publicUrl === undefined ? undefined : checkPublicUrl(options.publicUrl);
  const { metricsPort, metricsToken } = options;
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65_535)) {
    throw new TypeError(`options.metricsPort must be an integer from 0 to 65535, got ${String(metricsPort)}`);
  }
  if (options.metricsHost !== undefined && (typeof options.metricsHost !== 'string' || options.metricsHost === '')) throw new TypeError('options.metricsHost must be a non-empty string');
  if (metricsToken !== undefined && (typeof metricsToken !== 'string' || metricsToken.length < MIN_VIEW_TOKEN_LENGTH || /\s/.test(metricsToken) || keys.includes(metricsToken))) {
    throw new TypeError(`options.metricsToken must be a string of at least ${MIN_VIEW_TOKEN_LENGTH} characters without spaces, and not a secret key`);
  }
  if (options.logFormat !== undefined && options.logFormat !== 'json') throw new TypeError(`options.logFormat must be "json" (or left out), got ${JSON.stringify(options.logFormat)}`);
  if (options.logLine !== undefined && typeof options.logLine !== 'function') throw new TypeError('options.logLine must be a function (line: string) => void');
  const logLine = options.logFormat === 'json' ? (options.logLine ?? ((line: string) => void process.stderr.write(`${line}\n`))) : undefined;

  return Object.freeze({
    host,
    port,
    secretKeys: Object.freeze([...keys]),
    leaseTimeoutMs: positiveInt('leaseTimeoutMs', options.leaseTimeoutMs ?? DEFAULTS.leaseTimeoutMs, MAX_TIMER_MS),
    reconnectGraceMs: positiveInt('reconnectGraceMs', options.reconnectGraceMs ?? DEFAULTS.reconnectGraceMs, MAX_TIMER_MS),
    handoffAfterMs: positiveInt('handoffAfterMs', options.handoffAfterMs ?? DEFAULTS.handoffAfterMs, MAX_TIMER_MS),
    stragglerSlackMs: positiveInt('stragglerSlackMs', options.stragglerSlackMs ?? DEFAULTS.stragglerSlackMs, MAX_TIMER_MS),
    splitMinSeconds: positiveInt('splitMinSeconds', options.splitMinSeconds ?? DEFAULTS.splitMinSeconds, 1_000_000),
    idleTimeoutMs: positiveInt('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs, MAX_TIMER_MS),
    maxFrameBytes: positiveInt('maxFrameBytes', options.maxFrameBytes ?? DEFAULTS.maxFrameBytes),
    maxFilesPerRun: positiveInt('maxFilesPerRun', options.maxFilesPerRun ?? DEFAULTS.maxFilesPerRun),
    maxRunsPerKey: positiveInt('maxRunsPerKey', options.maxRunsPerKey ?? DEFAULTS.maxRunsPerKey),
    maxConnectionsPerKey: positiveInt('maxConnectionsPerKey', options.maxConnectionsPerKey ?? DEFAULTS.maxConnectionsPerKey),
    maxNodesPerRun: positiveInt('maxNodesPerRun', options.maxNodesPerRun ?? DEFAULTS.maxNodesPerRun),
    maxCrashesPerFile: positiveInt('maxCrashesPerFile', options.maxCrashesPerFile ?? DEFAULTS.maxCrashesPerFile, 100),
    finishedRunTtlMs: positiveInt('finishedRunTtlMs', options.finishedRunTtlMs ?? DEFAULTS.finishedRunTtlMs, MAX_TIMER_MS),
    maxFinishedRuns: DEFAULTS.maxFinishedRuns,
    shutdownGraceMs: positiveInt('shutdownGraceMs', options.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs, MAX_TIMER_MS),
    maxPendingConnections: positiveInt('maxPendingConnections', options.maxPendingConnections ?? DEFAULTS.maxPendingConnections),
    maxUnsentBytes: positiveInt('maxUnsentBytes', options.maxUnsentBytes ?? DEFAULTS.maxUnsentBytes),
    maxReportBytesPerRun: positiveInt('maxReportBytesPerRun', options.maxReportBytesPerRun ?? DEFAULTS.maxReportBytesPerRun),
    maxReportBytesPerNode: positiveInt('maxReportBytesPerNode', options.maxReportBytesPerNode ?? DEFAULTS.maxReportBytesPerNode),
    maxReportMemoryBytes: positiveInt('maxReportMemoryBytes', options.maxReportMemoryBytes ?? DEFAULTS.maxReportMemoryBytes),
    // In JSON mode a warning is a line of the log, like everything else on stderr.
    warn: options.warn ?? (logLine === undefined ? message => process.stderr.write(`jest-fast-ci server: ${message}\n`) : message => logLine(JSON.stringify({ time: new Date().toISOString(), event: 'server.warning', message }))),
    dataDir: options.dataDir,
    redis: options.redis,
    redisPrefix: options.redisPrefix ?? 'fastci:',
    recordFrames: options.recordFrames === true,
    dashboard: options.dashboard ?? true,
    viewToken,
    publicUrl,
    metricsPort,
    metricsHost: options.metricsHost ?? '127.0.0.1',
    metricsToken,
    logLine,
    testHistoryRuns: positiveInt('testHistoryRuns', options.testHistoryRuns ?? DEFAULTS.testHistoryRuns, 1_000),
    testHistoryDays: positiveInt('testHistoryDays', options.testHistoryDays ?? DEFAULTS.testHistoryDays, 3_650),
    autoQuarantine: options.autoQuarantine === undefined ? undefined : positiveInt('autoQuarantine', options.autoQuarantine, 1_000),
    quarantineDays: positiveInt('quarantineDays', options.quarantineDays ?? DEFAULTS.quarantineDays, 3_650),
    quarantineCleanRuns: positiveInt('quarantineCleanRuns', options.quarantineCleanRuns ?? DEFAULTS.quarantineCleanRuns, 1_000),
    quarantineCapPercent: positiveInt('quarantineCapPercent', options.quarantineCapPercent ?? DEFAULTS.quarantineCapPercent, 100),
  });
}

/** The public address, checked: http(s), no credentials, query or fragment (nodes print it); no trailing slash. */
function checkPublicUrl(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || !/^https?:$/.test(url.protocol) || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new TypeError(`options.publicUrl must be an http(s) address without credentials, query or fragment (for example https://ci-queue.example.com/), got ${JSON.stringify(value)}`);
  }
  return url.href.replace(/\/+$/, '');
}
