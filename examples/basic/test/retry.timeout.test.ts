/**
 * withTimeout and retry on real timers, the way checkout uses them around a
 * slow remote call.
 */
import { retry, RetryError, TimeoutError, withTimeout } from '../src/retry';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const answerAfter = <T>(ms: number, value: T) => sleep(ms).then(() => value);

describe('withTimeout', () => {
  it('passes a fast answer through', async () => {
    await expect(withTimeout(answerAfter(20, 'quote: 4.95'), 200)).resolves.toBe('quote: 4.95');
  });

  it('rejects a slow one with TimeoutError', async () => {
    const t0 = Date.now();
    const error = await withTimeout(answerAfter(250, 'too late'), 150).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).message).toBe('timed out after 150 ms');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await sleep(110); // let the slow call finish
  });

  it('passes rejections through untouched', async () => {
    await expect(withTimeout(sleep(10).then(() => Promise.reject(new Error('404'))), 200)).rejects.toThrow('404');
  });
});

describe('retry with real sleeps', () => {
  it('retries a call that times out, then succeeds', async () => {
    let calls = 0;
    const t0 = Date.now();
    const result = await retry(
      () => {
        calls++;
        return withTimeout(answerAfter(calls < 3 ? 120 : 10, 'ok'), 60);
      },
      { retries: 3, baseDelayMs: 30 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    // two timeouts (2 × 60) and two backoffs (30 + 60)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    await sleep(70);
  });

  it('gives up with the timeout as the last error', async () => {
    const error = await retry(() => withTimeout(answerAfter(100, 'never in time'), 40), {
      retries: 1,
      baseDelayMs: 20,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryError);
    expect((error as RetryError).lastError).toBeInstanceOf(TimeoutError);
    await sleep(70);
  });
});
