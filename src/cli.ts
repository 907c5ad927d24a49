#!/usr/bin/env node
/**
 * The `jest-fast-ci` command:
 * - `serve`: runs the orchestrator until SIGTERM/SIGINT. Prints
 *   `FAST_CI_SERVER=<url>` on stdout once listening, so a script can read it.
 * - `merge DIR... [jest args]`: one report from the blob files of every
 *   node (FAST_CI_BLOB_DIR), through the project's own Jest.
 * This is the only module that may exit the process.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes, FastCiError } from './errors';
import { blobFiles, MERGE_BLOBS_ENV } from './runner/blobs';
import { startServer, SERVER_DEFAULTS, type ServerOptions } from './server';
import { parseServerUrl } from './config';
import { RUN_KEY } from './protocol/constants';
import { MIN_VIEW_TOKEN_LENGTH } from './server/options';

type NumericOption = Exclude<{ [K in keyof ServerOptions]-?: NonNullable<ServerOptions[K]> extends number ? K : never }[keyof ServerOptions], 'metricsPort' | 'autoQuarantine'>;

/** Numeric server options as flags: seconds (converted to ms) or plain counts. */
const NUMERIC_FLAGS: ReadonlyArray<{ flag: string; option: Exclude<NumericOption, 'port'>; unit: 's' | 'count'; max: number; help: string }> = [
  { flag: '--lease-timeout', option: 'leaseTimeoutMs', unit: 's', max: 2_000_000, help: 'requeue a file leased this long without a result' },
  { flag: '--reconnect-grace', option: 'reconnectGraceMs', unit: 's', max: 2_000_000, help: "keep a disconnected node's files this long for its rejoin" },
  { flag: '--idle-timeout', option: 'idleTimeoutMs', unit: 's', max: 2_000_000, help: 'close a socket silent this long' },
  { flag: '--handoff-after', option: 'handoffAfterMs', unit: 's', max: 2_000_000, help: "run copies of a gone node's files on idle nodes after this long" },
  { flag: '--split-min', option: 'splitMinSeconds', unit: 'count', max: 1_000_000, help: 'split a file into parts on several nodes only if it takes at least this many seconds' },
  { flag: '--straggler-slack', option: 'stragglerSlackMs', unit: 's', max: 2_000_000, help: 'copy a file to an idle node this long past twice its expected time' },
  { flag: '--finished-run-ttl', option: 'finishedRunTtlMs', unit: 's', max: 2_000_000, help: 'keep finished (and abandoned) runs this long' },
  { flag: '--shutdown-grace', option: 'shutdownGraceMs', unit: 's', max: 2_000_000, help: 'on SIGTERM, wait this long for clients to close' },
  { flag: '--max-frame-bytes', option: 'maxFrameBytes', unit: 'count', max: 2 ** 31 - 1, help: 'largest inbound frame' },
  { flag: '--max-files-per-run', option: 'maxFilesPerRun', unit: 'count', max: 10_000_000, help: 'largest run' },
  { flag: '--max-runs-per-key', option: 'maxRunsPerKey', unit: 'count', max: 10_000_000, help: 'unfinished runs per key' },
  { flag: '--max-connections-per-key', option: 'maxConnectionsPerKey', unit: 'count', max: 10_000_000, help: 'open sockets per key' },
  { flag: '--max-nodes-per-run', option: 'maxNodesPerRun', unit: 'count', max: 10_000_000, help: 'nodes per run' },
  { flag: '--max-crashes-per-file', option: 'maxCrashesPerFile', unit: 'count', max: 100, help: 'nodes a file may take down before it is recorded as failed' },
  { flag: '--max-pending-connections', option: 'maxPendingConnections', unit: 'count', max: 10_000_000, help: 'connections still in their HTTP handshake' },
  { flag: '--max-unsent-bytes', option: 'maxUnsentBytes', unit: 'count', max: 2 ** 31 - 1, help: "cut a socket with this much unsent (a client that stopped reading)" },
  { flag: '--max-report-bytes-per-run', option: 'maxReportBytesPerRun', unit: 'count', max: Number.MAX_SAFE_INTEGER, help: 'whole-run reports (results, coverage) one run may hold' },
  { flag: '--max-report-bytes-per-node', option: 'maxReportBytesPerNode', unit: 'count', max: Number.MAX_SAFE_INTEGER, help: 'whole-run reports one node of a run may send' },
  { flag: '--test-history-runs', option: 'testHistoryRuns', unit: 'count', max: 1_000, help: "outcomes kept per test (flaky tests)" },
  { flag: '--test-history-days', option: 'testHistoryDays', unit: 'count', max: 3_650, help: "days a test's outcome is kept" },
  { flag: '--quarantine-days', option: 'quarantineDays', unit: 'count', max: 3_650, help: 'days an automatic quarantine lasts' },
  { flag: '--quarantine-clean-runs', option: 'quarantineCleanRuns', unit: 'count', max: 1_000, help: 'clean runs in a row that end an automatic quarantine' },
  { flag: '--quarantine-cap', option: 'quarantineCapPercent', unit: 'count', max: 100, help: "most of a run's tests that may be quarantined, in percent" },
  { flag: '--max-report-memory-bytes', option: 'maxReportMemoryBytes', unit: 'count', max: Number.MAX_SAFE_INTEGER, help: 'whole-run reports held in memory, without --data-dir' },
];

function defaultOf(entry: (typeof NUMERIC_FLAGS)[number]): string {
  const value: number = SERVER_DEFAULTS[entry.option];
  return entry.unit === 's' ? `${value / 1000}` : String(value);
}

const USAGE = `Usage: jest-fast-ci serve [options]
       jest-fast-ci merge <blob dir or files>... [<jest arguments>]
       jest-fast-ci quarantine list [--run-key K]
       jest-fast-ci quarantine add <test file> <full test name> --reason WHY [--days N] [--clean-runs N] [--run-key K]
       jest-fast-ci quarantine remove <test file> <full test name> --reason WHY [--run-key K]

serve: runs a FastCI-compatible test orchestrator.
quarantine: lists, adds or removes a quarantined test on the orchestrator that
  FAST_CI_SERVER names, with FAST_CI_SECRET_KEY (the view token cannot): its
  failures then do not fail a build (docs/flaky.md).
merge: replays the nodes' blob files (FAST_CI_BLOB_DIR) through this project's
  Jest and its reporters (coverage and thresholds, JUnit, the summary), with
  plain Jest's exit code for the whole run. Run it in the project's directory.

Options:
  --host HOST                    interface to listen on (default ${SERVER_DEFAULTS.host})
  --port PORT                    port to listen on, 0 for any free port (default ${SERVER_DEFAULTS.port})
  --secret-key KEY               an accepted secret key; repeat for several
  --data-dir DIR                 keep run journals and duration history in DIR (survives restarts)
  --redis URL                    keep runs in Redis, shared by every server on it (redis://host:port)
  --redis-prefix PREFIX          prefix of the Redis keys (default fastci:)
  --view-token TOKEN             a read-only dashboard credential that sees every key's runs
  --no-dashboard                 do not serve the dashboard (the page at /, its API under /api/)
  --public-url URL               the address people reach this server at: nodes print their run's page there
  --metrics-port PORT            serve /metrics (Prometheus) with no credential on a listener of its own
  --metrics-host HOST            interface of that listener (default 127.0.0.1)
  --log-format json              one JSON object per line on stderr for what happens to runs (never the key)
  --auto-quarantine K            quarantine a test by itself after K flakes in its history (docs/flaky.md)
${NUMERIC_FLAGS.map(e => `  ${`${e.flag} ${e.unit === 's' ? 'SECONDS' : 'N'}`.padEnd(31)}${e.help} (default ${defaultOf(e)})`).join('\n')}
  -h, --help                     show this help

Environment:
  FAST_CI_SECRET_KEY             accepted keys, comma-separated (preferred: argv is visible to other users)
  FAST_CI_REDIS_URL              as --redis (preferred when the URL has a password)
  FAST_CI_VIEW_TOKEN             the dashboard's view token (preferred to --view-token, for the same reason)
  FAST_CI_METRICS_TOKEN          a Bearer credential for /metrics on the main port (the view token works too)
  DEBUG=jest-fast-ci:server:*    log connections, runs and frames (the secret is never logged)
`;

export type CliCommand =
  | { kind: 'help' }
  /** The run key's quarantine on the server FAST_CI_SERVER names, with FAST_CI_SECRET_KEY (docs/flaky.md). */
  | { kind: 'quarantine'; action: 'list' | 'add' | 'remove'; server: string; key: string; runKey: string; file?: string; name?: string; reason?: string; days?: number; cleanRuns?: number }
  | { kind: 'serve'; options: ServerOptions }
  /** Replay blob files through the project's Jest (`jest-fast-ci merge <dir or files> [-- jest args]`). */
  | { kind: 'merge'; paths: string[]; jestArgs: string[] };

function configError(message: string): FastCiError {
  return new FastCiError(ErrorCodes.CONFIG, `${message}\nRun \`jest-fast-ci --help\` for usage.`);
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw configError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}.`);
  }
  return value;
}

/**
 * `merge DIR... [jest args]`: the blob paths come first; from the first
 * argument that starts with "-" on, everything is Jest's, as people type
 * it (`--config jest.ci.config.js`), with or without a `--` before it.
 */
function parseMerge(args: readonly string[]): CliCommand {
  const first = args.findIndex(arg => arg.startsWith('-'));
  const paths = first === -1 ? [...args] : args.slice(0, first);
  const jestArgs = (first === -1 ? [] : args.slice(first)).filter((arg, i) => !(i === 0 && arg === '--'));
  if (paths.length === 0) {
    if (jestArgs.includes('--help') || jestArgs.includes('-h')) return { kind: 'help' };
    throw configError('merge needs the blob files, or the directory they are in (FAST_CI_BLOB_DIR), before any Jest argument: jest-fast-ci merge <blob dir or files>... [jest arguments].');
  }
  return { kind: 'merge', paths, jestArgs };
}

/** `quarantine list|add|remove [file name] [flags]`, with the server and key from the environment, as the runner finds them. */
function parseQuarantine(args: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  const [action, ...rest] = args;
  if (action !== 'list' && action !== 'add' && action !== 'remove') throw configError('quarantine needs list, add or remove: jest-fast-ci quarantine add <test file> <full test name> --reason WHY.');
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [flag, inline] = arg.includes('=') ? (arg.split(/=(.*)/s, 2) as [string, string]) : [arg, undefined];
    if (!['--reason', '--days', '--clean-runs', '--run-key'].includes(flag)) throw configError(`Unknown option ${JSON.stringify(flag)} for quarantine.`);
    const value = inline ?? rest[++i];
    if (value === undefined || value === '') throw configError(`${flag} needs a value.`);
    flags[flag] = value;
  }
  const server = env.FAST_CI_SERVER?.trim();
  const key = env.FAST_CI_SECRET_KEY?.trim();
  if (!server) throw configError('quarantine needs the orchestrator: set FAST_CI_SERVER (ws://host:port or wss://host:443), as for the runner.');
  if (!key) throw configError('quarantine needs the secret key of the run key: set FAST_CI_SECRET_KEY (the view token cannot change a quarantine).');
  const base = { kind: 'quarantine' as const, action: action as 'list' | 'add' | 'remove', server: parseServerUrl(server, 'FAST_CI_SERVER'), key, runKey: flags['--run-key'] ?? RUN_KEY };
  if (action === 'list') {
    if (positional.length > 0) throw configError('quarantine list takes no test; it lists them all.');
    return base;
  }
  if (positional.length !== 2) throw configError(`quarantine ${action} needs the test file and the test's full name: jest-fast-ci quarantine ${action} test/cart.test.ts "cart totals" --reason WHY.`);
  if (flags['--reason'] === undefined) throw configError(`quarantine ${action} needs --reason: every change is kept in the audit with why.`);
  const days = flags['--days'] === undefined ? undefined : integer('--days', flags['--days'], 1, 3_650);
  const cleanRuns = flags['--clean-runs'] === undefined ? undefined : integer('--clean-runs', flags['--clean-runs'], 1, 1_000);
  return { ...base, file: positional[0], name: positional[1], reason: flags['--reason'], ...(days === undefined ? {} : { days }), ...(cleanRuns === undefined ? {} : { cleanRuns }) };
}

/** Parses argv (without node and script) and the environment. Throws FastCiError(FASTCI_ERR_CONFIG). */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  if (argv[0] === 'merge') return parseMerge(argv.slice(1));
  if (argv[0] === 'quarantine') return parseQuarantine(argv.slice(1), env);
  const dashes = argv.indexOf('--');
  const own = dashes === -1 ? argv : argv.slice(0, dashes);
  if (own.length === 0 || own.includes('--help') || own.includes('-h')) return { kind: 'help' };
  const [command, ...rest] = own;
  if (command !== 'serve') throw configError(`Unknown command ${JSON.stringify(command)}; the commands are "serve", "merge" and "quarantine".`);

  const options: ServerOptions = { secretKeys: [] };
  const keys: string[] = [];
  for (let i = 0; i < rest.length; i += 1) {
    const [flag, inline] = rest[i].includes('=') ? (rest[i].split(/=(.*)/s, 2) as [string, string]) : [rest[i], undefined];
    const value = (): string => {
      const next = inline ?? rest[++i];
      if (next === undefined || next === '') throw configError(`${flag} needs a value.`);
      return next;
    };
    switch (flag) {
      case '--host':
        options.host = value();
        break;
      case '--port':
        options.port = integer('--port', value(), 0, 65_535);
        break;
      case '--secret-key':
        keys.push(value());
        break;
      case '--data-dir':
        options.dataDir = value();
        break;
      case '--redis':
        options.redis = value();
        break;
      case '--redis-prefix':
        options.redisPrefix = value();
        break;
      case '--view-token':
        options.viewToken = value();
        break;
      case '--public-url':
        options.publicUrl = value();
        break;
      case '--metrics-port':
        options.metricsPort = integer('--metrics-port', value(), 0, 65_535);
        break;
      case '--auto-quarantine':
        options.autoQuarantine = integer('--auto-quarantine', value(), 1, 1_000);
        break;
      case '--metrics-host':
        options.metricsHost = value();
        break;
      case '--log-format': {
        const format = value();
        if (format !== 'json') throw configError(`--log-format must be json, got ${JSON.stringify(format)}.`);
        options.logFormat = format;
        break;
      }
      case '--no-dashboard':
        if (inline !== undefined) throw configError('--no-dashboard takes no value.');
        options.dashboard = false;
        break;
      default: {
        const numeric = NUMERIC_FLAGS.find(entry => entry.flag === flag);
        if (numeric === undefined) throw configError(`Unknown option ${JSON.stringify(flag)}.`);
        const n = integer(flag, value(), 1, numeric.max);
        options[numeric.option] = numeric.unit === 's' ? n * 1000 : n;
      }
    }
  }
  for (const key of (env.FAST_CI_SECRET_KEY ?? '').split(',')) if (key.trim() !== '') keys.push(key.trim());
  if (keys.length === 0) throw configError('No secret key: set FAST_CI_SECRET_KEY (comma-separated for several) or pass --secret-key.');
  options.secretKeys = keys;
  if (options.redis === undefined && env.FAST_CI_REDIS_URL !== undefined && env.FAST_CI_REDIS_URL !== '') options.redis = env.FAST_CI_REDIS_URL;
  const viewToken = env.FAST_CI_VIEW_TOKEN?.trim();
  if (options.viewToken === undefined && viewToken !== undefined && viewToken !== '') options.viewToken = viewToken;
  if (options.viewToken !== undefined && (options.viewToken.length < MIN_VIEW_TOKEN_LENGTH || /\s/.test(options.viewToken))) {
    throw configError(`The view token (--view-token or FAST_CI_VIEW_TOKEN) must be at least ${MIN_VIEW_TOKEN_LENGTH} characters without spaces.`);
  }
  if (options.viewToken !== undefined && keys.includes(options.viewToken)) throw configError('The view token must differ from every secret key: it sees every key\'s runs.');
  const metricsToken = env.FAST_CI_METRICS_TOKEN?.trim();
  if (metricsToken !== undefined && metricsToken !== '') {
    if (metricsToken.length < MIN_VIEW_TOKEN_LENGTH || /\s/.test(metricsToken) || keys.includes(metricsToken)) {
      throw configError(`FAST_CI_METRICS_TOKEN must be at least ${MIN_VIEW_TOKEN_LENGTH} characters without spaces, and not a secret key.`);
    }
    options.metricsToken = metricsToken;
  }
  return { kind: 'serve', options };
}

async function main(): Promise<void> {
  let command: CliCommand;
  try {
    command = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`jest-fast-ci: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command.kind === 'merge') return merge(command.paths, command.jestArgs);
  if (command.kind === 'quarantine') return quarantine(command);

  // With --log-format json every line on stderr is a JSON object (FAST_CI_SERVER= stays on stdout, for scripts).
  const json = command.options.logFormat === 'json';
  const say = (event: string, text: string, fields: Record<string, unknown> = {}): void => {
    process.stderr.write(json ? `${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n` : `jest-fast-ci: ${text}\n`);
  };
  const server = await startServer(command.options).catch((error: Error) => {
    say('server.failed', `could not start the server: ${error.message}`, { message: error.message });
    process.exit(1);
  });
  process.stdout.write(`FAST_CI_SERVER=${server.url}\n`);
  const dashboard = server.dashboardUrl === undefined ? undefined : (command.options.publicUrl ?? server.dashboardUrl);
  if (json) say('server.started', '', { url: server.url, dashboard, metrics: server.metricsUrl });
  else {
    if (dashboard !== undefined) say('', `dashboard at ${dashboard} (sign in with ${command.options.viewToken === undefined ? 'a secret key' : 'a secret key or the view token'})`);
    if (server.metricsUrl !== undefined) say('', `metrics at ${server.metricsUrl}`);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    say('server.stopping', `${signal}, closing connections (1012, service restart)`, { signal });
    // 1012 tells clients the service is restarting: they reconnect instead of giving up.
    server.close(1012).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Lists, adds or removes a quarantined test over the server's API; exits 1 with the server's reason when refused. */
async function quarantine(command: Extract<CliCommand, { kind: 'quarantine' }>): Promise<void> {
  const http = command.server.replace(/^ws/, 'http');
  const url = `${http}/api/quarantine/${encodeURIComponent(command.runKey)}`;
  const body = command.action === 'list' ? undefined : JSON.stringify({ file: command.file, name: command.name, reason: command.reason, by: 'cli', days: command.days, cleanRuns: command.cleanRuns });
  const method = command.action === 'list' ? 'GET' : command.action === 'add' ? 'POST' : 'DELETE';
  let res: Response;
  try {
    res = await fetch(url, { method, body, headers: { authorization: `Bearer ${command.key}`, 'content-type': 'application/json' }, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    process.stderr.write(`jest-fast-ci quarantine: could not reach ${http}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const answer = (await res.json().catch(() => ({}))) as { error?: string; tests?: Array<{ file: string; name: string; by: string; reason: string; expiresAt: number | null; cleanRuns: number | null; clean: number }> };
  if (!res.ok) {
    process.stderr.write(`jest-fast-ci quarantine: ${res.status} ${answer.error ?? res.statusText}\n`);
    process.exit(1);
  }
  const tests = answer.tests ?? [];
  if (command.action !== 'list') process.stdout.write(`${command.action === 'add' ? 'quarantined' : 'released'}: ${command.file} › ${command.name}\n`);
  process.stdout.write(tests.length === 0 ? `no test of run key ${command.runKey} is quarantined\n` : `${tests.length} quarantined test${tests.length === 1 ? '' : 's'} of run key ${command.runKey}:\n`);
  for (const t of tests) {
    const until = [t.expiresAt === null ? '' : `until ${new Date(t.expiresAt).toISOString().slice(0, 10)}`, t.cleanRuns === null ? '' : `or ${t.cleanRuns} clean runs (${t.clean} so far)`].filter(Boolean).join(' ');
    process.stdout.write(`  ${t.file} › ${t.name} (by ${t.by}${until === '' ? '' : `, ${until}`}): ${t.reason}\n`);
  }
}

/**
 * Runs the project's Jest (resolved from the working directory, as `npx
 * jest` would) with MergeRunner as its runner; Jest exits with its own code.
 */
async function merge(paths: string[], jestArgs: string[]): Promise<void> {
  const missing = paths.find(p => !existsSync(p));
  if (missing !== undefined) {
    process.stderr.write(`jest-fast-ci merge: ${missing} is neither a blob file nor a directory of them; usage: jest-fast-ci merge <blob dir or files>... [jest arguments].\n`);
    process.exit(2);
  }
  let files: string[];
  try {
    files = blobFiles(paths.map(p => path.resolve(p)));
  } catch (error) {
    process.stderr.write(`jest-fast-ci merge: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (files.length === 0) {
    process.stderr.write(`jest-fast-ci merge: no blob files (*.ndjson) in ${paths.join(', ')}.\n`);
    process.exit(2);
  }
  let jest: { run(argv?: string[]): Promise<void> };
  try {
    jest = createRequire(path.join(process.cwd(), 'noop.js'))('jest') as typeof jest;
  } catch (error) {
    process.stderr.write(`jest-fast-ci merge: cannot load jest from ${process.cwd()} (${(error as Error).message.split('\n')[0]}); run merge in the project's directory.\n`);
    process.exit(2);
  }
  process.env[MERGE_BLOBS_ENV] = JSON.stringify(files);
  // A merge runs no test: nothing to orchestrate.
  delete process.env.FAST_CI_SECRET_KEY;
  await jest.run([...jestArgs, '--runner', require.resolve('./runner/MergeRunner')]);
}

if (require.main === module) void main();
