import { Inventory, InventoryError } from '../src/inventory';

describe('Inventory stock levels', () => {
  let inv: Inventory;
  beforeEach(() => {
    inv = new Inventory();
  });

  it('knows nothing about unseen SKUs', () => {
    expect(inv.onHand('X')).toBe(0);
    expect(inv.available('X')).toBe(0);
  });

  it('adds received goods up', () => {
    inv.receive('TS-001', 10);
    inv.receive('TS-001', 5);
    expect(inv.onHand('TS-001')).toBe(15);
    expect(inv.available('TS-001')).toBe(15);
  });

  it.each([0, -3, 2.5])('rejects receiving %p units', (q) => {
    expect(() => inv.receive('TS-001', q)).toThrow(InventoryError);
  });

  it('lists low stock, lowest first, ties by SKU', () => {
    inv.receive('B', 3);
    inv.receive('A', 3);
    inv.receive('C', 50);
    inv.receive('D', 1);
    expect(inv.lowStock(3)).toEqual([
      { sku: 'D', available: 1 },
      { sku: 'A', available: 3 },
      { sku: 'B', available: 3 },
    ]);
  });

  it('counts reserved units as unavailable for low stock', () => {
    inv.receive('A', 10);
    inv.reserve('o1', [{ sku: 'A', quantity: 8 }]);
    expect(inv.lowStock(2)).toEqual([{ sku: 'A', available: 2 }]);
  });
});
