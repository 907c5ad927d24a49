import { LruCache } from '../src/lruCache';

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const evicted: string[] = [];
    const cache = new LruCache<string, number>({ maxEntries: 3, onEvict: (k, _v, reason) => evicted.push(`${k}:${reason}`) });
    cache.set('a', 1).set('b', 2).set('c', 3);
    cache.get('a'); // a is now the most recent
    cache.set('d', 4);
    expect(cache.keys()).toEqual(['c', 'a', 'd']);
    expect(evicted).toEqual(['b:capacity']);
    expect(cache.size).toBe(3);
  });

  it('peek does not refresh recency', () => {
    const cache = new LruCache<string, number>({ maxEntries: 2 });
    cache.set('a', 1).set('b', 2);
    expect(cache.peek('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.has('a')).toBe(false);
  });

  it('overwriting a key refreshes it and keeps one entry', () => {
    const cache = new LruCache<string, number>({ maxEntries: 2 });
    cache.set('a', 1).set('b', 2).set('a', 10).set('c', 3);
    expect(cache.keys()).toEqual(['a', 'c']);
    expect(cache.get('a')).toBe(10);
  });

  it('keeps hit, miss and eviction statistics', () => {
    const cache = new LruCache<number, string>({ maxEntries: 1 });
    cache.set(1, 'one');
    cache.get(1);
    cache.get(2);
    cache.set(2, 'two');
    cache.peek(1);
    expect(cache.getStats()).toEqual({ hits: 1, misses: 1, evictions: 1 });
  });

  it('deletes and clears', () => {
    const reasons: string[] = [];
    const cache = new LruCache<string, number>({ maxEntries: 5, onEvict: (_k, _v, r) => reasons.push(r) });
    cache.set('a', 1).set('b', 2);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    expect(reasons).toEqual(['deleted']);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('loads a missing value once and then serves it from the cache', async () => {
    const cache = new LruCache<string, { price: number }>({ maxEntries: 10 });
    const load = jest.fn(async (sku: string) => ({ price: sku.length * 100 }));
    await expect(cache.getOrLoad('MUG-01', load)).resolves.toEqual({ price: 600 });
    await expect(cache.getOrLoad('MUG-01', load)).resolves.toEqual({ price: 600 });
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not cache a failed load', async () => {
    const cache = new LruCache<string, number>({ maxEntries: 10 });
    await expect(cache.getOrLoad('x', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(cache.has('x')).toBe(false);
  });

  it.each([0, -1, 1.5])('rejects maxEntries %p', (n) => {
    expect(() => new LruCache({ maxEntries: n })).toThrow(RangeError);
  });
});
