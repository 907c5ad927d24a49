import { ManualClock } from '../src/clock';
import { createRng } from '../src/random';
import { RetryError, backoffDelay, retry } from '../src/retry';

describe('backoffDelay', () => {
  it('grows exponentially from the base delay', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { baseDelayMs: 100 }))).toEqual([100, 200, 400, 800, 1600]);
    expect([1, 2, 3].map((n) => backoffDelay(n, { baseDelayMs: 50, factor: 3 }))).toEqual([50, 150, 450]);
  });

  it('is capped', () => {
    expect(backoffDelay(10, { baseDelayMs: 100, maxDelayMs: 5000 })).toBe(5000);
  });

  it('full jitter stays within [0, delay] and is reproducible with a seed', () => {
    const opts = (seed: number) => ({ baseDelayMs: 100, jitter: 'full' as const, rng: createRng(seed) });
    const a = opts(7);
    const b = opts(7);
    const delaysA = [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, a));
    const delaysB = [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, b));
    expect(delaysA).toEqual(delaysB);
    delaysA.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(100 * 2 ** i);
    });
  });

  it('needs an rng for jitter and a positive attempt', () => {
    expect(() => backoffDelay(1, { baseDelayMs: 1, jitter: 'full' })).toThrow('full jitter needs an rng');
    expect(() => backoffDelay(0, { baseDelayMs: 1 })).toThrow(RangeError);
  });
});

describe('retry (manual clock, no real waiting)', () => {
  it('retries until the call succeeds, waiting the backoff in between', async () => {
    const clock = new ManualClock();
    const delays: number[] = [];
    const fn = jest.fn(async (attempt: number) => {
      if (attempt < 4) throw new Error(`attempt ${attempt} failed`);
      return 'ok';
    });
    const result = await retry(fn, {
      retries: 5,
      baseDelayMs: 100,
      sleep: clock.sleep,
      onRetry: (_e, _attempt, delay) => delays.push(delay),
    });
    expect(result).toBe('ok');
    expect(fn).toHaveBeenCalledTimes(4);
    expect(delays).toEqual([100, 200, 400]);
    expect(clock.now()).toBe(700);
  });

  it('gives up after the last retry with the last error', async () => {
    const clock = new ManualClock();
    const promise = retry(async (n) => Promise.reject(new Error(`down #${n}`)), {
      retries: 2,
      baseDelayMs: 10,
      sleep: clock.sleep,
    });
    await expect(promise).rejects.toThrow(RetryError);
    await expect(promise).rejects.toMatchObject({ attempts: 3, message: 'gave up after 3 attempts: down #3' });
  });

  it('does not retry errors that are not retriable', async () => {
    const clock = new ManualClock();
    const fn = jest.fn(async () => Promise.reject(new TypeError('bad request')));
    await expect(
      retry(fn, { retries: 5, baseDelayMs: 10, sleep: clock.sleep, shouldRetry: (e) => !(e instanceof TypeError) }),
    ).rejects.toThrow(TypeError);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.now()).toBe(0);
  });
});
