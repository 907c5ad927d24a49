import { fallbackShare, fallbackWeights } from '../../src/runner/fallbackShare';

const files = [
  { id: 'a', weight: 100 }, { id: 'b', weight: 90 }, { id: 'c', weight: 10 },
  { id: 'd', weight: 10 }, { id: 'e', weight: 5 }, { id: 'f', weight: 80 },
];

describe('fallbackShare', () => {
  it('gives every file to exactly one shard', () => {
    const shards = [0, 1, 2].map(i => fallbackShare(files, i, 3));
    const all = shards.flat().sort();
    expect(all).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('balances by weight, not by count', () => {
    const [first, second] = [0, 1].map(i => fallbackShare(files, i, 2));
    const load = (ids: string[]) => ids.reduce((sum, id) => sum + files.find(f => f.id === id)!.weight, 0);
    // The best split of these weights is 170 / 125; three files each by id would be 200 / 95.
    expect(Math.max(load(first!), load(second!))).toBe(170);
  });

  it('is the same whatever order the files arrive in', () => {
    expect(fallbackShare([...files].reverse(), 1, 3)).toEqual(fallbackShare(files, 1, 3));
  });

  it('rejects an index outside the shard count', () => {
    expect(() => fallbackShare(files, 3, 3)).toThrow(RangeError);
  });
});

describe('fallbackWeights', () => {
  const sized = [
    { id: 'test/slow.test.js', size: 300 },
    { id: 'test/a.test.js', size: 300 },
    { id: 'test/b.test.js', size: 300 },
    { id: 'test/new.test.js', size: 600 },
  ];

  it('weighs by size when no durations are recorded', () => {
    expect(fallbackWeights(sized).files).toEqual([
      { id: 'test/a.test.js', weight: 300 },
      { id: 'test/b.test.js', weight: 300 },
      { id: 'test/new.test.js', weight: 600 },
      { id: 'test/slow.test.js', weight: 300 },
    ]);
    expect(fallbackWeights(sized, new Map([['test/gone.test.js', 5000]])).timed).toBe(0);
  });

  it('weighs recorded files by their duration, and a file added since by its size at the recorded ms per byte', () => {
    const durations = new Map([['test/slow.test.js', 9000], ['test/a.test.js', 100], ['test/b.test.js', 200]]);
    const weights = fallbackWeights(sized, durations);
    expect(weights.timed).toBe(3);
    // 9300 ms over 900 bytes: the 600-byte new file is estimated at 6200 ms.
    expect(Object.fromEntries(weights.files.map(f => [f.id, f.weight]))).toEqual({
      'test/slow.test.js': 9000, 'test/a.test.js': 100, 'test/b.test.js': 200, 'test/new.test.js': 6200,
    });
  });

  it('gives the same weights whatever order the files arrive in (each machine\'s Jest orders them by its own cache)', () => {
    const durations = new Map([['test/slow.test.js', 1000 / 3], ['test/a.test.js', 0.1], ['test/b.test.js', 0.2]]);
    expect(fallbackWeights([...sized].reverse(), durations)).toEqual(fallbackWeights(sized, durations));
  });

  it('splits so that the shards\' recorded durations, not their file counts, balance', () => {
    const durations = new Map([['test/slow.test.js', 9000], ['test/a.test.js', 100], ['test/b.test.js', 200]]);
    const files = fallbackWeights(sized.slice(0, 3), durations).files;
    expect([0, 1].map(i => fallbackShare(files, i, 2))).toEqual([['test/slow.test.js'], ['test/b.test.js', 'test/a.test.js']]);
    // By size (all 300 bytes) the shards would hold 2 and 1 files, the slow one with another.
    expect(fallbackShare(fallbackWeights(sized.slice(0, 3)).files, 0, 2)).toEqual(['test/a.test.js', 'test/slow.test.js']);
  });
});
