import { fallbackShare } from '../../src/runner/fallbackShare';

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
