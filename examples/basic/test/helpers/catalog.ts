import type { Product, TaxCategory } from '../../src/cart';
import { money, CurrencyCode } from '../../src/money';

export function product(
  sku: string,
  price: number,
  taxCategory: TaxCategory = 'standard',
  options: { currency?: CurrencyCode; weightGrams?: number; name?: string } = {},
): Product {
  return {
    sku,
    name: options.name ?? sku,
    price: money(price, options.currency ?? 'EUR'),
    taxCategory,
    weightGrams: options.weightGrams ?? 0,
  };
}

/** A tiny EUR catalog used across the cart and checkout tests. */
export const catalog = {
  tshirt: product('TS-001', 1999, 'standard', { weightGrams: 200, name: 'Organic T-Shirt' }),
  mug: product('MUG-01', 1250, 'standard', { weightGrams: 350, name: 'Enamel Mug' }),
  book: product('BK-042', 2400, 'reduced', { weightGrams: 600, name: 'Field Guide to Birds' }),
  giftCard: product('GC-050', 5000, 'exempt', { name: 'Gift Card €50' }),
} as const;
