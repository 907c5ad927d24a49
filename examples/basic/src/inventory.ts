/**
 * Stock levels with all-or-nothing reservations. A reservation holds units for
 * an order until it is committed (shipped) or released (cancelled).
 */
export interface StockRequest {
  readonly sku: string;
  readonly quantity: number;
}

export interface Shortage {
  readonly sku: string;
  readonly requested: number;
  readonly available: number;
}

export class InsufficientStockError extends Error {
  constructor(readonly shortages: readonly Shortage[]) {
    super(
      'insufficient stock: ' +
        shortages.map((s) => `${s.sku} (requested ${s.requested}, available ${s.available})`).join(', '),
    );
    this.name = 'InsufficientStockError';
  }
}

export class InventoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InventoryError';
  }
}

export class Inventory {
  private readonly onHandBySku = new Map<string, number>();
  private readonly reservations = new Map<string, StockRequest[]>();

  receive(sku: string, quantity: number): void {
    assertQuantity(quantity);
    this.onHandBySku.set(sku, this.onHand(sku) + quantity);
  }

  /** Units physically in the warehouse, reserved or not. */
  onHand(sku: string): number {
    return this.onHandBySku.get(sku) ?? 0;
  }

  reserved(sku: string): number {
    let n = 0;
    for (const items of this.reservations.values()) {
      for (const item of items) if (item.sku === sku) n += item.quantity;
    }
    return n;
  }

  /** Units that can still be promised to a new order. */
  available(sku: string): number {
    return this.onHand(sku) - this.reserved(sku);
  }

  reserve(orderId: string, items: readonly StockRequest[]): void {
    if (this.reservations.has(orderId)) throw new InventoryError(`order ${orderId} already has a reservation`);
    if (items.length === 0) throw new InventoryError('nothing to reserve');
    const merged = new Map<string, number>();
    for (const { sku, quantity } of items) {
      assertQuantity(quantity);
      merged.set(sku, (merged.get(sku) ?? 0) + quantity);
    }
    const shortages: Shortage[] = [];
    for (const [sku, requested] of merged) {
      const available = this.available(sku);
      if (requested > available) shortages.push({ sku, requested, available });
    }
    if (shortages.length > 0) throw new InsufficientStockError(shortages);
    this.reservations.set(
      orderId,
      [...merged].map(([sku, quantity]) => ({ sku, quantity })),
    );
  }

  hasReservation(orderId: string): boolean {
    return this.reservations.has(orderId);
  }

  release(orderId: string): boolean {
    return this.reservations.delete(orderId);
  }

  /** Ships a reservation: the units leave the warehouse. */
  commit(orderId: string): void {
    const items = this.reservations.get(orderId);
    if (!items) throw new InventoryError(`no reservation for order ${orderId}`);
    for (const { sku, quantity } of items) this.onHandBySku.set(sku, this.onHand(sku) - quantity);
    this.reservations.delete(orderId);
  }

  /** SKUs whose available stock is at or below the threshold, lowest first. */
  lowStock(threshold: number): Array<{ sku: string; available: number }> {
    return [...this.onHandBySku.keys()]
      .map((sku) => ({ sku, available: this.available(sku) }))
      .filter((s) => s.available <= threshold)
      .sort((a, b) => a.available - b.available || a.sku.localeCompare(b.sku));
  }
}

function assertQuantity(quantity: number): void {
  if (!Number.isInteger(quantity) || quantity <= 0) {
    throw new InventoryError(`quantity must be a positive integer, got ${quantity}`);
  }
}
