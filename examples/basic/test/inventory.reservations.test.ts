import { InsufficientStockError, Inventory, InventoryError } from '../src/inventory';

describe('Inventory reservations', () => {
  let inv: Inventory;
  beforeEach(() => {
    inv = new Inventory();
    inv.receive('TS-001', 10);
    inv.receive('MUG-01', 2);
  });

  it('holds units without removing them from the shelf', () => {
    inv.reserve('o1', [{ sku: 'TS-001', quantity: 4 }]);
    expect(inv.onHand('TS-001')).toBe(10);
    expect(inv.reserved('TS-001')).toBe(4);
    expect(inv.available('TS-001')).toBe(6);
    expect(inv.hasReservation('o1')).toBe(true);
  });

  it('is all or nothing and reports every shortage', () => {
    let error: unknown;
    try {
      inv.reserve('o1', [
        { sku: 'TS-001', quantity: 3 },
        { sku: 'MUG-01', quantity: 5 },
        { sku: 'NOPE', quantity: 1 },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InsufficientStockError);
    expect((error as InsufficientStockError).shortages).toEqual([
      { sku: 'MUG-01', requested: 5, available: 2 },
      { sku: 'NOPE', requested: 1, available: 0 },
    ]);
    expect((error as Error).message).toBe(
      'insufficient stock: MUG-01 (requested 5, available 2), NOPE (requested 1, available 0)',
    );
    expect(inv.available('TS-001')).toBe(10);
    expect(inv.hasReservation('o1')).toBe(false);
  });

  it('merges duplicate lines before checking', () => {
    expect(() =>
      inv.reserve('o1', [
        { sku: 'MUG-01', quantity: 1 },
        { sku: 'MUG-01', quantity: 2 },
      ]),
    ).toThrow(InsufficientStockError);
    inv.reserve('o2', [
      { sku: 'MUG-01', quantity: 1 },
      { sku: 'MUG-01', quantity: 1 },
    ]);
    expect(inv.available('MUG-01')).toBe(0);
  });

  it('competing orders cannot oversell', () => {
    inv.reserve('o1', [{ sku: 'MUG-01', quantity: 2 }]);
    expect(() => inv.reserve('o2', [{ sku: 'MUG-01', quantity: 1 }])).toThrow(InsufficientStockError);
  });

  it('releases a reservation on cancel', () => {
    inv.reserve('o1', [{ sku: 'MUG-01', quantity: 2 }]);
    expect(inv.release('o1')).toBe(true);
    expect(inv.release('o1')).toBe(false);
    expect(inv.available('MUG-01')).toBe(2);
  });

  it('ships a reservation on commit', () => {
    inv.reserve('o1', [
      { sku: 'TS-001', quantity: 3 },
      { sku: 'MUG-01', quantity: 1 },
    ]);
    inv.commit('o1');
    expect(inv.onHand('TS-001')).toBe(7);
    expect(inv.onHand('MUG-01')).toBe(1);
    expect(inv.reserved('TS-001')).toBe(0);
    expect(() => inv.commit('o1')).toThrow('no reservation for order o1');
  });

  it('rejects bad requests', () => {
    inv.reserve('o1', [{ sku: 'TS-001', quantity: 1 }]);
    expect(() => inv.reserve('o1', [{ sku: 'TS-001', quantity: 1 }])).toThrow('already has a reservation');
    expect(() => inv.reserve('o2', [])).toThrow('nothing to reserve');
    expect(() => inv.reserve('o3', [{ sku: 'TS-001', quantity: 0 }])).toThrow(InventoryError);
  });
});
