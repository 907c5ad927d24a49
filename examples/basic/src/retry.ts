/**
 * Retry with exponential backoff and jitter, plus a promise timeout. Used
 * around flaky network calls (payment gateway, shipping quotes).
 */
import { Sleep, realSleep } from './clock';
import { Rng } from './random';

export interface BackoffOptions {
  /** Delay before the first retry. */
  baseDelayMs: number;
  /** Multiplier per attempt (default 2). */
  factor?: number;
  /** Upper bound for any single delay. */
  maxDelayMs?: number;
  /** 'none' (default), or 'full' (random in [0, delay]) using the given rng. */
  jitter?: 'none' | 'full';
  rng?: Rng;
}

/** The delay before retry number `attempt` (1-based). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError('attempt must be >= 1');
  const factor = options.factor ?? 2;
  const raw = options.baseDelayMs * factor ** (attempt - 1);
  const capped = Math.min(raw, options.maxDelayMs ?? Number.POSITIVE_INFINITY);
  if ((options.jitter ?? 'none') === 'none') return Math.round(capped);
  if (!options.rng) throw new Error('full jitter needs an rng');
  return Math.round(options.rng.next() * capped);
}

export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt (so at most retries + 1 calls). */
  retries: number;
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  sleep?: Sleep;
}

export class RetryError extends Error {
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(`gave up after ${attempts} attempts: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
    this.name = 'RetryError';
  }
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const retriable = options.shouldRetry?.(error, attempt) ?? true;
      if (!retriable) throw error;
      if (attempt > options.retries) throw new RetryError(attempt, error);
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}

export class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** Rejects with TimeoutError if `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
