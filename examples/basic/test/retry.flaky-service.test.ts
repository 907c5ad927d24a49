/**
 * Retrying a flaky downstream service with exponential backoff and real
 * waiting: recovery within the backoff budget, giving up, and jitter spreading
 * the retries of many clients so they do not stampede.
 */
import { createRng } from '../src/random';
import { retry, RetryError } from '../src/retry';

/** A service that answers 503 for its first `downFor` calls. */
function flakyService(downFor: number) {
  let calls = 0;
  const callTimes: number[] = [];
  return {
    callTimes,
    get calls() {
      return calls;
    },
    async getShippingQuote(): Promise<number> {
      calls++;
      callTimes.push(Date.now());
      if (calls <= downFor) throw new Error('503 Service Unavailable');
      return 495;
    },
  };
}

describe('retry against a flaky service', () => {
  it('recovers when the service comes back within the backoff budget', async () => {
    const service = flakyService(4);
    const t0 = Date.now();
    const quote = await retry(() => service.getShippingQuote(), { retries: 5, baseDelayMs: 100 });
    expect(quote).toBe(495);
    expect(service.calls).toBe(5);
    const gaps = service.callTimes.slice(1).map((t, i) => t - service.callTimes[i]!);
    // 100, 200, 400, 800 ms between calls (timers never fire early, may fire late)
    [100, 200, 400, 800].forEach((expected, i) => expect(gaps[i]).toBeGreaterThanOrEqual(expected - 5));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_495);
  });

  it('gives up when the service stays down', async () => {
    const service = flakyService(Number.POSITIVE_INFINITY);
    const error = await retry(() => service.getShippingQuote(), { retries: 3, baseDelayMs: 80 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RetryError);
    expect((error as RetryError).message).toBe('gave up after 4 attempts: 503 Service Unavailable');
    expect(service.calls).toBe(4);
  });

  it('full jitter spreads the retries of many clients', async () => {
    const clients = Array.from({ length: 20 }, () => flakyService(3));
    const firstDelays: number[] = [];
    const t0 = Date.now();
    await Promise.all(
      clients.map((client, i) =>
        retry(() => client.getShippingQuote(), {
          retries: 3,
          baseDelayMs: 150,
          maxDelayMs: 400,
          jitter: 'full',
          rng: createRng(1000 + i),
          onRetry: (_error, attempt, delayMs) => {
            if (attempt === 1) firstDelays.push(delayMs);
          },
        }),
      ),
    );
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(150 + 300 + 400 + 500); // the worst case plus slack
    // The second attempts were not all scheduled for the same moment. Checked
    // on the delays chosen, not on the clock: on a starved CPU every timer
    // fires late, together, whatever its delay.
    expect(firstDelays).toHaveLength(20);
    expect(Math.max(...firstDelays) - Math.min(...firstDelays)).toBeGreaterThan(50);
    expect(clients.every((c) => c.calls === 4)).toBe(true);
  });
});
