/**
 * A shopping cart: line items, discount codes and per-line tax. Discounts are
 * spread over the lines they apply to (never losing a cent), so tax is always
 * charged on what the customer actually pays for each line.
 */
import {
  CurrencyCode,
  Money,
  add,
  allocate,
  money,
  multiply,
  subtract,
  sum,
  zero,
  CurrencyMismatchError,
} from './money';

export type TaxCategory = 'standard' | 'reduced' | 'exempt';
export type TaxTable = Readonly<Record<TaxCategory, number>>;

export const DEFAULT_TAX_TABLE: TaxTable = { standard: 0.2, reduced: 0.05, exempt: 0 };

export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly price: Money;
  readonly taxCategory: TaxCategory;
  readonly weightGrams?: number;
}

export type Discount =
  | { readonly kind: 'percent'; readonly code: string; readonly percent: number; readonly minSubtotal?: Money }
  | { readonly kind: 'fixed'; readonly code: string; readonly amount: Money; readonly minSubtotal?: Money }
  | { readonly kind: 'buy-x-get-y'; readonly code: string; readonly sku: string; readonly buy: number; readonly free: number };

export interface LineTotals {
  readonly sku: string;
  readonly quantity: number;
  readonly gross: Money;
  readonly discount: Money;
  readonly net: Money;
  readonly tax: Money;
}

export interface CartTotals {
  readonly lines: readonly LineTotals[];
  readonly subtotal: Money;
  readonly discount: Money;
  readonly tax: Money;
  readonly total: Money;
  /** Codes that were applied; codes whose conditions are not met are absent. */
  readonly appliedCodes: readonly string[];
}

export class CartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CartError';
  }
}

export const MAX_QUANTITY = 999;

export class Cart {
  private readonly lines = new Map<string, { product: Product; quantity: number }>();
  private readonly discounts: Discount[] = [];

  constructor(readonly currency: CurrencyCode) {}

  add(product: Product, quantity = 1): this {
    if (product.price.currency !== this.currency) {
      throw new CurrencyMismatchError(this.currency, product.price.currency);
    }
    if (!Number.isInteger(quantity) || quantity <= 0) {
      throw new CartError(`quantity must be a positive integer, got ${quantity}`);
    }
    const existing = this.lines.get(product.sku);
    const next = (existing?.quantity ?? 0) + quantity;
    if (next > MAX_QUANTITY) throw new CartError(`at most ${MAX_QUANTITY} of ${product.sku}`);
    this.lines.set(product.sku, { product, quantity: next });
    return this;
  }

  setQuantity(sku: string, quantity: number): this {
    const line = this.lines.get(sku);
    if (!line) throw new CartError(`no line for ${sku}`);
    if (!Number.isInteger(quantity) || quantity < 0 || quantity > MAX_QUANTITY) {
      throw new CartError(`invalid quantity ${quantity}`);
    }
    if (quantity === 0) this.lines.delete(sku);
    else line.quantity = quantity;
    return this;
  }

  remove(sku: string): boolean {
    return this.lines.delete(sku);
  }

  get size(): number {
    return this.lines.size;
  }

  get itemCount(): number {
    let n = 0;
    for (const { quantity } of this.lines.values()) n += quantity;
    return n;
  }

  items(): ReadonlyArray<{ product: Product; quantity: number }> {
    return [...this.lines.values()].map((l) => ({ ...l }));
  }

  applyDiscount(discount: Discount): this {
    if (this.discounts.some((d) => d.code === discount.code)) {
      throw new CartError(`discount ${discount.code} already applied`);
    }
    if (discount.kind === 'percent' && !(discount.percent > 0 && discount.percent <= 100)) {
      throw new CartError(`percent must be in (0, 100], got ${discount.percent}`);
    }
    if (discount.kind === 'fixed') {
      if (discount.amount.currency !== this.currency) {
        throw new CurrencyMismatchError(this.currency, discount.amount.currency);
      }
      if (discount.amount.amount <= 0) throw new CartError('fixed discount must be positive');
    }
    if (discount.kind === 'buy-x-get-y' && !(discount.buy >= 1 && discount.free >= 1)) {
      throw new CartError('buy-x-get-y needs buy >= 1 and free >= 1');
    }
    this.discounts.push(discount);
    return this;
  }

  removeDiscount(code: string): boolean {
    const i = this.discounts.findIndex((d) => d.code === code);
    if (i < 0) return false;
    this.discounts.splice(i, 1);
    return true;
  }

  /**
   * Order of application: item discounts (buy-x-get-y) first, then percent
   * codes on what is left, then fixed-amount codes, capped at the remainder.
   */
  totals(taxTable: TaxTable = DEFAULT_TAX_TABLE): CartTotals {
    const lines = [...this.lines.values()];
    const gross = lines.map(({ product, quantity }) => multiply(product.price, quantity));
    const lineDiscount = lines.map(() => 0);
    const applied: string[] = [];
    const subtotal = sum(gross, this.currency);
    const remaining = (i: number) => gross[i]!.amount - lineDiscount[i]!;

    for (const d of this.discounts) {
      if (d.kind !== 'buy-x-get-y') continue;
      const i = lines.findIndex((l) => l.product.sku === d.sku);
      if (i < 0) continue;
      const freeUnits = Math.floor(lines[i]!.quantity / (d.buy + d.free)) * d.free;
      if (freeUnits === 0) continue;
      lineDiscount[i]! += Math.min(remaining(i), lines[i]!.product.price.amount * freeUnits);
      applied.push(d.code);
    }

    const spread = (amount: number, code: string) => {
      const weights = lines.map((_, i) => remaining(i));
      const totalLeft = weights.reduce((a, b) => a + b, 0);
      if (totalLeft <= 0 || amount <= 0) return;
      const shares = allocate(money(Math.min(amount, totalLeft), this.currency), weights);
      shares.forEach((s, i) => (lineDiscount[i]! += s.amount));
      applied.push(code);
    };
    const meetsMinimum = (d: { minSubtotal?: Money }) =>
      !d.minSubtotal || subtotal.amount >= d.minSubtotal.amount;

    for (const d of this.discounts) {
      if (d.kind !== 'percent' || !meetsMinimum(d)) continue;
      const base = lines.reduce((acc, _, i) => acc + remaining(i), 0);
      spread(multiply(money(base, this.currency), d.percent / 100).amount, d.code);
    }
    for (const d of this.discounts) {
      if (d.kind !== 'fixed' || !meetsMinimum(d)) continue;
      spread(d.amount.amount, d.code);
    }

    const lineTotals: LineTotals[] = lines.map(({ product, quantity }, i) => {
      const discount = money(lineDiscount[i]!, this.currency);
      const net = subtract(gross[i]!, discount);
      const tax = multiply(net, taxTable[product.taxCategory]);
      return { sku: product.sku, quantity, gross: gross[i]!, discount, net, tax };
    });
    const discount = sum(lineTotals.map((l) => l.discount), this.currency);
    const tax = sum(lineTotals.map((l) => l.tax), this.currency);
    const total = add(subtract(subtotal, discount), tax);
    return { lines: lineTotals, subtotal, discount, tax, total, appliedCodes: applied };
  }

  isEmpty(): boolean {
    return this.lines.size === 0;
  }

  clear(): void {
    this.lines.clear();
    this.discounts.length = 0;
  }

  /** Total weight of the physical goods, for shipping. */
  weightGrams(): number {
    let grams = 0;
    for (const { product, quantity } of this.lines.values()) grams += (product.weightGrams ?? 0) * quantity;
    return grams;
  }

  static emptyTotals(currency: CurrencyCode): CartTotals {
    const z = zero(currency);
    return { lines: [], subtotal: z, discount: z, tax: z, total: z, appliedCodes: [] };
  }
}
