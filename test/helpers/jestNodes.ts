/**
 * Runs real `jest` processes (the CLI, not the API) on a fixture project,
 * as CI shards would, and collects what each printed and how it exited.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startChild, type ChildOutcome, type TrackedChild } from './processes';

export const REPO = path.resolve(__dirname, '../..');
export const JEST_BIN = path.join(REPO, 'node_modules/jest/bin/jest.js');

export function fixture(name: string): string {
  return path.join(REPO, 'test/fixtures', name);
}

export interface NodeOutcome extends ChildOutcome {
  /** The node index the reporter printed, when orchestrated. */
  readonly nodeIndex: number | undefined;
}

export interface JestNodeOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  args?: string[];
  jestBin?: string;
  /** Kill the process group after this long (ms); default: the harness's, below the test timeout. */
  timeoutMs?: number;
}

/** Env without the variables of the CI this suite itself may run on, so nodes see only what a test sets. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(FAST_CI_|GITHUB_|GITLAB_|CI_|CIRCLE|BUILDKITE|JENKINS|BUILD_|GATE_|DEBUG$)/.test(name)) continue;
    env[name] = value;
  }
  env.FORCE_COLOR = '0';
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface RunningNode {
  readonly child: TrackedChild['child'];
  readonly done: Promise<NodeOutcome>;
  /** Output so far. */
  output(): string;
  /** Signals the node's process group (the jest process and its workers). */
  signal(signal: NodeJS.Signals): void;
}

/** Starts a jest node and returns at once, for tests that kill or stop it mid-run. */
export function startJestNode(options: JestNodeOptions): RunningNode {
  const tracked = startChild(process.execPath, [options.jestBin ?? JEST_BIN, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    timeoutMs: options.timeoutMs,
  });
  const done = tracked.done.then(outcome => {
    // "node 2" by its CI shard, "(index 0 in the run)" when the run's own index differs.
    const match = /jest-fast-ci ▸ node (\d+)(?: \(index (\d+) in the run\))?/.exec(outcome.output);
    return { ...outcome, nodeIndex: match ? Number(match[2] ?? match[1]) : undefined };
  });
  return { child: tracked.child, done, output: tracked.output, signal: tracked.signal };
}

export function runJestNode(options: JestNodeOptions): Promise<NodeOutcome> {
  return startJestNode(options).done;
}

export function runJestNodes(count: number, options: JestNodeOptions): Promise<NodeOutcome[]> {
  return Promise.all(Array.from({ length: count }, () => runJestNode(options)));
}

/** Polls `check` every 25 ms until it returns a value other than undefined. */
export async function until<T>(check: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}

/** The test files a fixture's Jest finds, as the ids the server uses ("test/x.test.js"). */
export function fixtureFiles(name: string, dir = 'test'): string[] {
  return fs
    .readdirSync(path.join(fixture(name), dir))
    .filter(file => file.endsWith('.test.js'))
    .map(file => `${dir}/${file}`)
    .sort();
}

/** The files a node printed as PASS or FAIL, in order: its own, and other nodes' (marked "node N"). */
export function filesRun(output: string): string[] {
  return [...output.matchAll(/(?:PASS|FAIL) (?:(?:\S+ · )?node \d+ )?(test\/\S+)/g)].map(m => m[1]!);
}
