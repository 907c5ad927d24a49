/**
 * Cart totals over many generated carts with every kind of discount: the
 * accounting identities must hold to the cent for each of them.
 */
import { Cart, Discount, Product, TaxCategory, TaxTable } from '../src/cart';
import { money, multiply } from '../src/money';
import { createRng, Rng } from '../src/random';

const CARTS = 1_000;
const TAX: TaxTable = { standard: 0.19, reduced: 0.07, exempt: 0 };

function generateCatalog(rng: Rng): Product[] {
  return Array.from({ length: 60 }, (_, i) => ({
    sku: `SKU-${i}`,
    name: `Product ${i}`,
    price: money(rng.int(1, 30_000), 'EUR'),
    taxCategory: rng.pick<TaxCategory>(['standard', 'standard', 'reduced', 'exempt']),
  }));
}

function generateCart(rng: Rng, catalog: Product[]): { cart: Cart; discounts: Discount[] } {
  const cart = new Cart('EUR');
  for (let n = rng.int(1, 8); n > 0; n--) cart.add(rng.pick(catalog), rng.int(1, 12));
  const discounts: Discount[] = [];
  if (rng.chance(0.5)) discounts.push({ kind: 'percent', code: 'PCT', percent: rng.int(1, 100) });
  if (rng.chance(0.4)) {
    discounts.push({ kind: 'fixed', code: 'FIX', amount: money(rng.int(1, 20_000), 'EUR'), ...(rng.chance(0.3) ? { minSubtotal: money(rng.int(1, 100_000), 'EUR') } : {}) });
  }
  if (rng.chance(0.4)) {
    const line = rng.pick(cart.items());
    discounts.push({ kind: 'buy-x-get-y', code: 'BXGY', sku: line.product.sku, buy: rng.int(1, 3), free: rng.int(1, 2) });
  }
  discounts.forEach((d) => cart.applyDiscount(d));
  return { cart, discounts };
}

describe('cart totals (generated carts)', () => {
  const rng = createRng(8_675_309);
  const catalog = generateCatalog(rng);
  const carts = Array.from({ length: CARTS }, () => generateCart(rng, catalog));

  it('total = subtotal − discount + tax, and every line adds up', () => {
    for (const { cart } of carts) {
      const t = cart.totals(TAX);
      expect(t.total.amount).toBe(t.subtotal.amount - t.discount.amount + t.tax.amount);
      expect(t.discount.amount).toBeGreaterThanOrEqual(0);
      expect(t.discount.amount).toBeLessThanOrEqual(t.subtotal.amount);
      for (const line of t.lines) {
        const product = catalog.find((p) => p.sku === line.sku)!;
        expect(line.gross.amount).toBe(product.price.amount * line.quantity);
        expect(line.net.amount).toBe(line.gross.amount - line.discount.amount);
        expect(line.net.amount).toBeGreaterThanOrEqual(0);
        expect(line.tax).toEqual(multiply(line.net, TAX[product.taxCategory]));
      }
    }
  });

  it('a percent code alone takes exactly that share of the subtotal', () => {
    for (const { cart, discounts } of carts) {
      const pct = discounts.find((d) => d.kind === 'percent');
      if (!pct || discounts.length !== 1 || pct.kind !== 'percent') continue;
      const t = cart.totals(TAX);
      expect(t.discount).toEqual(multiply(t.subtotal, pct.percent / 100));
    }
  });

  it('removing a code never makes the cart cheaper', () => {
    for (const { cart, discounts } of carts) {
      let previous = cart.totals(TAX).total.amount;
      for (const d of discounts) {
        cart.removeDiscount(d.code);
        const now = cart.totals(TAX).total.amount;
        expect(now).toBeGreaterThanOrEqual(previous);
        previous = now;
      }
      discounts.forEach((d) => cart.applyDiscount(d));
    }
  });

  it('the discount does not depend on the order the lines were added in', () => {
    for (const { cart, discounts } of carts.slice(0, 400)) {
      const reversed = new Cart('EUR');
      for (const { product, quantity } of [...cart.items()].reverse()) reversed.add(product, quantity);
      discounts.forEach((d) => reversed.applyDiscount(d));
      expect(reversed.totals(TAX).discount).toEqual(cart.totals(TAX).discount);
    }
  });
});
