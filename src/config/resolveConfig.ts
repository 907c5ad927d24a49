/**
 * One function turns the environment and the runner options into the frozen
 * config every other part reads. Precedence: FAST_CI_* env > runner options >
 * the CI's own variables > git > defaults. Invalid values throw a
 * FastCiError(FASTCI_ERR_CONFIG) naming the setting and the fix.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCodes, FastCiError } from '../errors';
import { RUN_KEY } from '../protocol/constants';
import { buildIdProblem } from '../protocol/topic';
import { detectCi, type Env } from './ciEnv';
import { readGit, type GitInfo } from './git';
import { resolveTimingsSetting } from './timingsFileSetting';

export const DEFAULT_SERVER = 'wss://apx.ruby.ci:443';
export const DEFAULT_CONNECT_TIMEOUT_S = 15;
export const DEFAULT_RECONNECT_TIMEOUT_S = 60;
/** How long the end of a run waits for other nodes' results still on their way. */
export const DEFAULT_REPORT_TIMEOUT_S = 60;
/** Phoenix's own heartbeat interval; a server silent for two of them is taken as gone. */
export const DEFAULT_HEARTBEAT_INTERVAL_S = 30;

/** Options accepted in `runner: ["jest-fast-ci", { ... }]` (Jest 30.4+). */
export interface FastCiOptions {
  /** Orchestrator URL, `ws://` or `wss://` with an explicit port. Default `wss://apx.ruby.ci:443`. */
  server?: string;
  buildId?: string;
  commit?: string;
  branch?: string;
  /** Seconds to wait for the first connection and join. Default 15. */
  connectTimeout?: number;
  /** Seconds a lost connection may be retried mid-run before the node gives up. Default 60. */
  reconnectTimeout?: number;
  /** Seconds between heartbeats; a server that answers none for two of them counts as gone. Default 30. */
  heartbeatInterval?: number;
  /** `auto` (run a share locally when the server cannot be reached) or `off` (fail). Default `auto`. */
  fallback?: 'auto' | 'off';
  /** 0-based shard index and shard count for the fallback split, when the CI does not say. */
  nodeIndex?: number;
  nodeTotal?: number;
  /** Run a failed file again on another node up to this many times (0-5). Default 0. */
  retry?: number;
  /** `on`: idle nodes may run copies of a gone or slow node's files (the first result counts); `off` for suites whose files cannot run twice at once. Default `on`. */
  backups?: 'on' | 'off';
  /** `on`: a slow file may run in parts on several nodes (its tests split); `off`: every file runs whole. Default `on`. */
  split?: 'on' | 'off';
  /** Test ids (paths from rootDir) matching this regular expression are never split. */
  noSplit?: string;
  /** `run`: this node's reporters see the whole run; `node`: only this node's files. Default `run`. */
  report?: 'run' | 'node';
  /** Seconds to wait, at the end, for other nodes' results still on their way. Default 60. */
  reportTimeout?: number;
  /** Also write this node's results to a file in this directory, for `jest-fast-ci merge`. */
  blobDir?: string;
  /** The timings file (from rootDir), or `off`. Default `.jest-fast-ci-timings.json`. */
  timingsFile?: string;
  /** What a retried CI job runs: `failed` (the earlier attempt's failed files, and those with no result) or `all`. Default `failed`. */
  retryRun?: 'failed' | 'all';
  /** `on`: keep a record of the files run here in Jest's cacheDirectory and ask for them first next time (their transforms are cached). Default `on`. */
  cacheRecord?: 'on' | 'off';
  /** What a quarantined test's failure does (FAST_CI_QUARANTINE): `on` it does not fail the node, `report` it is named and still fails, `off` quarantine is ignored. @default 'on' */
  quarantine?: 'on' | 'report' | 'off';
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'server', 'buildId', 'commit', 'branch', 'connectTimeout', 'reconnectTimeout', 'heartbeatInterval', 'fallback', 'nodeIndex', 'nodeTotal', 'retry',
  'backups', 'split', 'noSplit', 'report', 'reportTimeout', 'blobDir',
  'timingsFile', 'retryRun', 'cacheRecord', 'quarantine',
]);

/** Most retries: more would hide a broken file behind reruns (the server enforces the same cap). */
export const MAX_RETRY = 5;

export interface FastCiConfig {
  /** False without a secret key: the runner then behaves like plain Jest. */
  readonly enabled: boolean;
  readonly secretKey: string | undefined;
  readonly server: string;
  readonly runKey: string;
  readonly buildId: string;
  /**
   * Where the build id came from: a setting (FAST_CI_BUILD_ID or the runner
   * option), the CI, the short commit (a CI that names no build), or
   * `fresh`: outside CI a run of its own, so a second local run never joins
   * the first.
   */
  readonly buildIdSource: 'setting' | 'ci' | 'commit' | 'fresh';
  readonly commit: string;
  readonly branch: string;
  readonly commitMessage: string;
  readonly author: { readonly name?: string; readonly email?: string };
  /** Stable for this process: lets a reconnect rejoin as the same node. */
  readonly nodeId: string;
  readonly connectTimeoutMs: number;
  readonly reconnectTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly fallback: 'auto' | 'off';
  readonly nodeIndex: number | undefined;
  readonly nodeTotal: number | undefined;
  /** Times a failed file runs again on another node; sent by the node that enqueues. */
  readonly retry: number;
  /** Idle nodes may run backup copies of gone or slow nodes' files; sent by the node that enqueues. */
  readonly backups: boolean;
  /** Slow files may run in parts on several nodes; sent by the node that enqueues. */
  readonly split: boolean;
  /** Files (by test id) never split. */
  readonly noSplit: RegExp | undefined;
  /** Whose results this node's reporters see: the whole run's, or only its own. */
  readonly report: 'run' | 'node';
  readonly reportTimeoutMs: number;
  /** Where this node writes its blob file (`jest-fast-ci merge`), if anywhere. */
  readonly blobDir: string | undefined;
  /** Where the build metadata came from, for the start-up line. */
  readonly provider: string;
  /** The timings file (absolute), undefined when `off`: the fallback split's durations, recorded at the end of a run. */
  readonly timingsFile: string | undefined;
  /** `setting` when named by FAST_CI_TIMINGS_FILE or the runner option: the node then records it on every run. */
  readonly timingsFileSource: 'setting' | 'default';
  /** What a retried CI job runs (FAST_CI_RETRY_RUN): the earlier attempt's failed files, or everything. */
  readonly retryRun: 'failed' | 'all';
  /** Keep a record of the files run here in Jest's cacheDirectory, and send it in the join (FAST_CI_CACHE_RECORD). */
  readonly cacheRecord: boolean;
  /** What a quarantined test's failure does here (FAST_CI_QUARANTINE). */
  readonly quarantine: 'on' | 'report' | 'off';
  /** What the CI says about this job being a retry (ciEnv); earlier build ids only when the build id is the CI's. */
  readonly ciRetry: { readonly attempt?: number; readonly again?: boolean; readonly earlierBuildIds: readonly string[] };
}

/** FAST_CI_QUARANTINE's value (default `on`), as the runner and `jest-fast-ci merge` read it. */
export function quarantineMode(value: string | undefined): 'on' | 'report' | 'off' {
  const mode = nonEmpty(value) ?? 'on';
  if (mode === 'on' || mode === 'report' || mode === 'off') return mode;
  throw configError(
    `FAST_CI_QUARANTINE must be "on" (a quarantined test's failure does not fail the node), "report" (it is named and still fails) or "off" (quarantine is ignored), got "${mode}".`,
  );
}

function configError(message: string): FastCiError {
  return new FastCiError(ErrorCodes.CONFIG, message);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Validates and normalizes the server URL; the message names the setting and shows a valid value. */
export function parseServerUrl(value: string, setting: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(`${setting} must be a URL with a scheme, like wss://apx.ruby.ci:443 or ws://127.0.0.1:4000; got "${value}".`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw configError(`${setting} must use ws:// or wss://, got "${url.protocol}//". Example: wss://apx.ruby.ci:443.`);
  }
  // The reference clients require the port written out, 443 included; an
  // implicit port is a classic copy-paste mistake, so say it at start.
  if (!/^wss?:\/\/[^/]*:\d+/.test(value)) {
    throw configError(`${setting} must include the port, e.g. ${url.protocol}//${url.hostname}:${url.protocol === 'wss:' ? 443 : 4000}; got "${value}".`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw configError(`${setting} must not carry credentials, a query or a fragment; put the key in FAST_CI_SECRET_KEY.`);
  }
  return value.replace(/\/+$/, '');
}

function parseSeconds(value: unknown, setting: string, fallback: number): number {
  if (value === undefined || value === '') return fallback * 1000;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw configError(`${setting} must be a positive number of seconds, got "${String(value)}".`);
  }
  return Math.round(n * 1000);
}

function parseIndex(value: unknown, setting: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) throw configError(`${setting} must be a non-negative integer, got "${String(value)}".`);
  return n;
}

function checkOptions(options: unknown): FastCiOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw configError('The jest-fast-ci runner options must be an object, as in runner: ["jest-fast-ci", { server: "ws://127.0.0.1:4000" }].');
  }
  for (const key of Object.keys(options)) {
    if (key === 'secretKey') {
      throw configError('Do not put the secret key in jest.config: set the FAST_CI_SECRET_KEY environment variable from your CI secret store.');
    }
    if (!OPTION_NAMES.has(key)) {
      throw configError(`Unknown jest-fast-ci runner option "${key}". Known options: ${[...OPTION_NAMES].join(', ')}.`);
    }
  }
  return options as FastCiOptions;
}

export interface ResolveInput {
  env?: Env;
  /** Runner options from jest.config (Jest 30.4+ array form). */
  options?: unknown;
  /** Where to read git metadata from; default process.cwd(). */
  cwd?: string;
  /** Injected for tests. */
  readGit?: (cwd: string) => GitInfo;
}

export function resolveConfig(input: ResolveInput = {}): FastCiConfig {
  const env = input.env ?? process.env;
  const options = checkOptions(input.options);

  const rawKey = env.FAST_CI_SECRET_KEY;
  if (rawKey !== undefined && rawKey.trim() === '') {
    throw configError('FAST_CI_SECRET_KEY is set but empty. Set it to your orchestrator key, or unset it to run plain Jest.');
  }
  const secretKey = rawKey?.trim();

  const serverSetting = nonEmpty(env.FAST_CI_SERVER) !== undefined ? 'FAST_CI_SERVER' : 'the runner option "server"';
  const server = parseServerUrl(nonEmpty(env.FAST_CI_SERVER) ?? options.server ?? DEFAULT_SERVER, serverSetting);

  const fallback = nonEmpty(env.FAST_CI_FALLBACK) ?? options.fallback ?? 'auto';
  if (fallback !== 'auto' && fallback !== 'off') {
    throw configError(`FAST_CI_FALLBACK must be "auto" or "off", got "${fallback}".`);
  }

  const ci = detectCi(env);
  let gitInfo: GitInfo | undefined;
  const fromGit = (): GitInfo => (gitInfo ??= (input.readGit ?? readGit)(input.cwd ?? process.cwd()));

  const setBuildId = nonEmpty(env.FAST_CI_BUILD_ID) ?? nonEmpty(options.buildId);
  // Outside CI nothing ties two local runs together: sharing the commit's id
  // would make a second run join the first, finished one and run nothing.
  const local = ci.provider === 'local';
  const buildIdSource = setBuildId !== undefined ? 'setting' : ci.buildId !== undefined ? 'ci' : local ? 'fresh' : 'commit';
  const buildId = setBuildId ?? ci.buildId ?? (local ? `local-${randomUUID()}` : fromGit().shortCommit);
  const commit = nonEmpty(env.FAST_CI_COMMIT) ?? nonEmpty(options.commit) ?? ci.commit ?? fromGit().commit;
  const branch = nonEmpty(env.FAST_CI_BRANCH) ?? nonEmpty(options.branch) ?? ci.branch ?? fromGit().branch;
  if (secretKey !== undefined && buildId === undefined) {
    throw configError('No build id: this is not a known CI and not a git checkout. Set FAST_CI_BUILD_ID to a value shared by every node of the run (and new for each run).');
  }
  const badBuildId = buildId === undefined ? undefined : buildIdProblem(buildId);
  if (badBuildId !== undefined) {
    throw configError(`The build id cannot be used: ${badBuildId}. Set FAST_CI_BUILD_ID to letters, digits and ._-:@/+ only.`);
  }

  const nodeIndex = parseIndex(env.FAST_CI_NODE_INDEX ?? options.nodeIndex, 'FAST_CI_NODE_INDEX') ?? ci.nodeIndex;
  const nodeTotal = parseIndex(env.FAST_CI_NODE_TOTAL ?? options.nodeTotal, 'FAST_CI_NODE_TOTAL') ?? ci.nodeTotal;
  if (nodeTotal !== undefined && nodeTotal < 1) throw configError('FAST_CI_NODE_TOTAL must be at least 1.');
  if (nodeIndex !== undefined && nodeTotal !== undefined && nodeIndex >= nodeTotal) {
    throw configError(`FAST_CI_NODE_INDEX (${nodeIndex}) must be below FAST_CI_NODE_TOTAL (${nodeTotal}); indexes are 0-based.`);
  }

  const report = nonEmpty(env.FAST_CI_REPORT) ?? options.report ?? 'run';
  if (report !== 'run' && report !== 'node') {
    throw configError(`FAST_CI_REPORT must be "run" (this node's reporters see the whole run) or "node" (only its own files), got "${report}".`);
  }
  const retry = parseIndex(nonEmpty(env.FAST_CI_RETRY) ?? options.retry, 'FAST_CI_RETRY') ?? 0;
  if (retry > MAX_RETRY) throw configError(`FAST_CI_RETRY must be from 0 to ${MAX_RETRY}, got ${retry}; a file that fails more often is broken, not flaky.`);
  const split = nonEmpty(env.FAST_CI_SPLIT) ?? options.split ?? 'on';
  if (split !== 'on' && split !== 'off') {
    throw configError(`FAST_CI_SPLIT must be "on" (a slow file may run in parts on several nodes) or "off" (every file runs whole on one node), got "${split}".`);
  }
  const noSplitSource = nonEmpty(env.FAST_CI_NO_SPLIT) ?? nonEmpty(options.noSplit);
  let noSplit: RegExp | undefined;
  if (noSplitSource !== undefined) {
    try {
      noSplit = new RegExp(noSplitSource);
    } catch (error) {
      throw configError(`FAST_CI_NO_SPLIT must be a regular expression matching the test files never to split (paths from rootDir), got "${noSplitSource}": ${(error as Error).message}.`);
    }
  }
  const retryRun = nonEmpty(env.FAST_CI_RETRY_RUN) ?? options.retryRun ?? 'failed';
  if (retryRun !== 'failed' && retryRun !== 'all') {
    throw configError(
      `FAST_CI_RETRY_RUN must be "failed" (a retried CI job re-runs what failed in the earlier attempt) or "all" (it runs every file again), got "${retryRun}".`,
    );
  }
  const quarantine = quarantineMode(nonEmpty(env.FAST_CI_QUARANTINE) ?? options.quarantine);
  const cacheRecord = nonEmpty(env.FAST_CI_CACHE_RECORD) ?? options.cacheRecord ?? 'on';
  if (cacheRecord !== 'on' && cacheRecord !== 'off') {
    throw configError(
      `FAST_CI_CACHE_RECORD must be "on" (record the files run here in Jest's cacheDirectory and get them first next time) or "off", got "${cacheRecord}".`,
    );
  }
  const backups = nonEmpty(env.FAST_CI_BACKUPS) ?? options.backups ?? 'on';
  if (backups !== 'on' && backups !== 'off') {
    throw configError(`FAST_CI_BACKUPS must be "on" (idle nodes may run copies of a gone or slow node's files) or "off" (no file ever runs on two nodes at once), got "${backups}".`);
  }

  return Object.freeze({
    enabled: secretKey !== undefined,
    secretKey,
    server,
    runKey: RUN_KEY,
    buildId: buildId ?? 'local',
    buildIdSource,
    commit: commit ?? '',
    branch: branch ?? '',
    commitMessage: nonEmpty(env.FAST_CI_COMMIT_MSG) ?? ci.commitMessage ?? (secretKey ? fromGit().commitMessage : undefined) ?? '',
    author: Object.freeze({
      name: ci.authorName ?? (secretKey ? fromGit().authorName : undefined),
      email: ci.authorEmail ?? (secretKey ? fromGit().authorEmail : undefined),
    }),
    nodeId: nonEmpty(env.FAST_CI_NODE_ID) ?? randomUUID(),
    connectTimeoutMs: parseSeconds(nonEmpty(env.FAST_CI_CONNECT_TIMEOUT) ?? options.connectTimeout, 'FAST_CI_CONNECT_TIMEOUT', DEFAULT_CONNECT_TIMEOUT_S),
    reconnectTimeoutMs: parseSeconds(nonEmpty(env.FAST_CI_RECONNECT_TIMEOUT) ?? options.reconnectTimeout, 'FAST_CI_RECONNECT_TIMEOUT', DEFAULT_RECONNECT_TIMEOUT_S),
    heartbeatIntervalMs: parseSeconds(nonEmpty(env.FAST_CI_HEARTBEAT_INTERVAL) ?? options.heartbeatInterval, 'FAST_CI_HEARTBEAT_INTERVAL', DEFAULT_HEARTBEAT_INTERVAL_S),
    fallback,
    nodeIndex,
    nodeTotal,
    retry,
    backups: backups === 'on',
    split: split === 'on',
    noSplit,
    report,
    reportTimeoutMs: parseSeconds(nonEmpty(env.FAST_CI_REPORT_TIMEOUT) ?? options.reportTimeout, 'FAST_CI_REPORT_TIMEOUT', DEFAULT_REPORT_TIMEOUT_S),
    blobDir: nonEmpty(env.FAST_CI_BLOB_DIR) ?? nonEmpty(options.blobDir),
    provider: ci.provider,
    retryRun,
    cacheRecord: cacheRecord === 'on',
    quarantine,
    ciRetry: Object.freeze({
      ...(ci.retry?.attempt === undefined ? {} : { attempt: ci.retry.attempt }),
      ...(ci.retry?.again === undefined ? {} : { again: ci.retry.again }),
      // A build id set by hand is not `<run_id>-<attempt>`: the CI's earlier ids do not name its earlier attempts.
      earlierBuildIds: Object.freeze(buildIdSource === 'ci' ? [...(ci.retry?.earlierBuildIds ?? [])] : []),
    }),
    ...resolveTimingsSetting(nonEmpty(env.FAST_CI_TIMINGS_FILE) ?? options.timingsFile, input.cwd ?? process.cwd()),
  });
}

/**
 * Keys shorter than this are only redacted as the `secret_key` parameter:
 * replacing every occurrence of a one- or two-letter key would mangle the
 * text without hiding anything.
 */
const MIN_REDACTED_LENGTH = 4;

/** A query parameter's name as a server reads it (`secret%5Fkey` is `secret_key`). */
function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * Text with the secret replaced, safe to print: the `secret_key` URL
 * parameter (however its name is percent-encoded), and the key wherever else
 * it appears.
 */
export function redact(text: string, secret: string | undefined): string {
  let out = text.replace(/([?&])([^=&#\s"?]+)=([^&#\s"]*)/g, (pair, sep: string, name: string) =>
    decodeName(name) === 'secret_key' ? `${sep}${name}=[REDACTED]` : pair,
  );
  if (secret && secret.length >= MIN_REDACTED_LENGTH) {
    out = out.split(secret).join('[REDACTED]');
    out = out.split(encodeURIComponent(secret)).join('[REDACTED]');
  }
  return out;
}
