import { LeaseTable } from '../../../src/server/run/LeaseTable';

describe('LeaseTable', () => {
  it('keeps the by-node view in step when a file moves to another node', () => {
    const leases = new LeaseTable();
    leases.lease(['a', 'b'], 0, 1_000);
    leases.lease(['a'], 1, 1_000);
    expect(leases.holder('a')).toBe(1);
    expect(leases.heldBy(0)).toEqual(['b']);
    expect(leases.heldBy(1)).toEqual(['a']);
    leases.release('b');
    expect(leases.hasAny(0)).toBe(false);
    expect(leases.hasAny(1)).toBe(true);
  });

  it('expires leases by the time they were handed out: a file leased again later is not expired with its first batch', () => {
    const leases = new LeaseTable();
    leases.lease(['a', 'b'], 0, 1_000);
    leases.lease(['b'], 1, 5_000);
    expect(leases.olderThan(999)).toEqual([]);
    expect(leases.olderThan(1_000)).toEqual(['a']);
    expect(leases.olderThan(5_000).sort()).toEqual(['a', 'b']);
    expect(leases.toRecord()).toEqual({ a: 0, b: 1 });
  });

  it('forgets every lease on clear, and takes "__proto__" as an id like any other', () => {
    const leases = new LeaseTable();
    leases.lease(['__proto__', 'c'], 3, 0);
    expect(Object.keys(leases.toRecord()).sort()).toEqual(['__proto__', 'c']);
    leases.clear();
    expect(leases.hasAny(3)).toBe(false);
    expect(leases.size).toBe(0);
  });
});
