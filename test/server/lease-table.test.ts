import { LeaseTable } from '../../src/server/lease-table';

describe('LeaseTable', () => {
  it('keeps the by-node view in step when a file moves to another node', () => {
    const leases = new LeaseTable();
    leases.lease(['a', 'b'], 0);
    leases.lease(['a'], 1);
    expect(leases.holder('a')).toBe(1);
    expect(leases.heldBy(0)).toEqual(['b']);
    expect(leases.heldBy(1)).toEqual(['a']);
    leases.release('b');
    expect(leases.hasAny(0)).toBe(false);
    expect(leases.hasAny(1)).toBe(true);
  });

  it('takes back a batch only under its own fence', () => {
    const leases = new LeaseTable();
    const first = leases.lease(['a', 'b'], 0);
    leases.lease(['b'], 1); // b was re-leased: the first batch's expiry must not take it
    expect(leases.takeExpired(['a', 'b'], first)).toEqual(['a']);
    expect(leases.toRecord()).toEqual({ b: 1 });
  });

  it('takes every file from a node and forgets them', () => {
    const leases = new LeaseTable();
    leases.lease(['a', 'b'], 2);
    leases.lease(['c'], 3);
    expect(leases.takeFrom(2).sort()).toEqual(['a', 'b']);
    expect(leases.hasAny(2)).toBe(false);
    expect(leases.toRecord()).toEqual({ c: 3 });
    leases.clear();
    expect(leases.hasAny(3)).toBe(false);
  });
});
