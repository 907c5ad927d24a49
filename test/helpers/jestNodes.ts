/**
 * Runs real `jest` processes (the CLI, not the API) on a fixture project,
 * as CI shards would, and collects what each printed and how it exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const JEST_BIN = path.join(REPO, 'node_modules/jest/bin/jest.js');

export function fixture(name: string): string {
  return path.join(REPO, 'test/fixtures', name);
}

export interface NodeOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** The node index the reporter printed, when orchestrated. */
  nodeIndex: number | undefined;
}

export interface JestNodeOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  args?: string[];
  jestBin?: string;
  /** Kill the process after this long (ms); a hang fails the test instead of the suite. */
  timeoutMs?: number;
}

/** Env without the variables of the CI this suite itself may run on, so nodes see only what a test sets. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(FAST_CI_|GITHUB_|GITLAB_|CI_|CIRCLE|BUILDKITE|JENKINS|BUILD_|DEBUG$)/.test(name)) continue;
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
  readonly child: ChildProcess;
  readonly done: Promise<NodeOutcome>;
  /** Output so far. */
  output(): string;
}

/** Starts a jest node and returns at once, for tests that kill or stop it mid-run. */
export function startJestNode(options: JestNodeOptions): RunningNode {
  const child = spawn(process.execPath, [options.jestBin ?? JEST_BIN, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', chunk => (output += chunk));
  child.stderr!.on('data', chunk => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<NodeOutcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const match = /jest-fast-ci ▸ node (\d+)/.exec(output);
      resolve({ code, signal, output, nodeIndex: match ? Number(match[1]) : undefined });
    });
  });
  return { child, done, output: () => output };
}

export function runJestNode(options: JestNodeOptions): Promise<NodeOutcome> {
  return startJestNode(options).done;
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

export function runJestNodes(count: number, options: JestNodeOptions): Promise<NodeOutcome[]> {
  return Promise.all(Array.from({ length: count }, () => runJestNode(options)));
}
