/**
 * debounce and throttle on real timers: search-as-you-type and autosave
 * behave the way a user perceives them.
 */
import { debounce, throttle } from '../src/debounce';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('debounce', () => {
  it('waits for typing to pause, then searches once with the last text', async () => {
    const searches: string[] = [];
    const search = debounce((q: string) => searches.push(q), 150);
    for (const q of ['m', 'mu', 'mug', 'mugs']) {
      search(q);
      await sleep(20);
    }
    expect(searches).toEqual([]);
    expect(search.pending).toBe(true);
    await sleep(200);
    expect(searches).toEqual(['mugs']);
    expect(search.pending).toBe(false);
  });

  it('fires again after each pause', async () => {
    const calls: number[] = [];
    const save = debounce((n: number) => calls.push(n), 50);
    save(1);
    await sleep(90);
    save(2);
    await sleep(90);
    expect(calls).toEqual([1, 2]);
  });

  it('flush runs the pending call now; cancel drops it', async () => {
    const calls: string[] = [];
    const save = debounce((s: string) => calls.push(s), 60);
    save('draft 1');
    save.flush();
    expect(calls).toEqual(['draft 1']);
    save('draft 2');
    save.cancel();
    await sleep(100);
    expect(calls).toEqual(['draft 1']);
    save.flush(); // nothing pending: no call
    expect(calls).toEqual(['draft 1']);
  });
});

describe('throttle', () => {
  it('runs at most once per interval, first and last call included', async () => {
    const seen: number[] = [];
    const onScroll = throttle((y: number) => seen.push(y), 100);
    const t0 = Date.now();
    for (let y = 0; Date.now() - t0 < 450; y += 10) {
      onScroll(y);
      await sleep(10);
    }
    await sleep(150);
    expect(seen[0]).toBe(0);
    // ~450 ms of scrolling at one call per 100 ms: 4 to 7 calls depending on timer jitter
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(seen.length).toBeLessThanOrEqual(7);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('cancel drops the trailing call', async () => {
    const seen: number[] = [];
    const t = throttle((n: number) => seen.push(n), 60);
    t(1);
    t(2);
    t.cancel();
    await sleep(100);
    expect(seen).toEqual([1]);
  });
});
