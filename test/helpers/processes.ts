/**
 * Every child process a test starts goes through here. Each child leads a
 * process group of its own, so one kill reaches everything it started
 * (jest's workers, the demo's nodes). A child is killed by its own timer
 * before the test times out, so a hang fails the test with the child's
 * output instead of losing it, and whatever is still alive when a test ends
 * is killed by killChildren() (test/setup/children.ts runs it after each
 * test of the integration project).
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Default life of a child: well below the integration project's test timeout (90 s). */
export const CHILD_TIMEOUT_MS = 70_000;

export interface ChildOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they arrived. */
  readonly output: string;
  /** The child outlived its timer and was killed. */
  readonly timedOut: boolean;
}

export interface ChildOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Kill the child's group after this long. Default CHILD_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

export interface TrackedChild {
  readonly child: ChildProcess;
  readonly done: Promise<ChildOutcome>;
  /** Output so far. */
  output(): string;
  /** Signals the child's whole process group (SIGKILL, SIGSTOP, SIGCONT...). */
  signal(signal: NodeJS.Signals): void;
}

const live = new Set<TrackedChild>();

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

export function startChild(command: string, args: readonly string[], options: ChildOptions): TrackedChild {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let timedOut = false;
  child.stdout!.on('data', chunk => (output += chunk));
  child.stderr!.on('data', chunk => (output += chunk));
  const timeoutMs = options.timeoutMs ?? CHILD_TIMEOUT_MS;
  const timer = setTimeout(() => {
    timedOut = true;
    output += `\n[test harness: killed after ${timeoutMs / 1000} s]\n`;
    signalGroup(child.pid, 'SIGKILL');
  }, timeoutMs);
  const tracked: TrackedChild = {
    child,
    done: new Promise<ChildOutcome>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        live.delete(tracked);
        // The leader is gone; what it started may not be (a worker that ignored its parent's exit).
        signalGroup(child.pid, 'SIGKILL');
        resolve({ code, signal, output, timedOut });
      });
    }),
    output: () => output,
    signal: signal => signalGroup(child.pid, signal),
  };
  live.add(tracked);
  return tracked;
}

/** Kills every child still alive (and its group) and waits for each to close. */
export async function killChildren(): Promise<void> {
  const children = [...live];
  for (const tracked of children) {
    tracked.signal('SIGCONT');
    tracked.signal('SIGKILL');
  }
  await Promise.all(children.map(tracked => tracked.done.catch(() => undefined)));
}

// A test worker that exits on its own (a crash, a bail) still takes its children with it.
process.on('exit', () => {
  for (const tracked of live) signalGroup(tracked.child.pid, 'SIGKILL');
});
