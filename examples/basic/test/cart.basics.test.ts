import { Cart, CartError, MAX_QUANTITY } from '../src/cart';
import { CurrencyMismatchError, money } from '../src/money';
import { catalog, product } from './helpers/catalog';

describe('Cart contents', () => {
  let cart: Cart;
  beforeEach(() => {
    cart = new Cart('EUR');
  });

  it('starts empty with zero totals', () => {
    expect(cart.isEmpty()).toBe(true);
    const totals = cart.totals();
    expect(totals.total).toEqual(money(0, 'EUR'));
    expect(totals.lines).toEqual([]);
    expect(totals).toEqual(Cart.emptyTotals('EUR'));
  });

  it('merges repeated adds of the same product into one line', () => {
    cart.add(catalog.tshirt).add(catalog.tshirt, 2).add(catalog.mug);
    expect(cart.size).toBe(2);
    expect(cart.itemCount).toBe(4);
    expect(cart.items().map((i) => [i.product.sku, i.quantity])).toEqual([
      ['TS-001', 3],
      ['MUG-01', 1],
    ]);
  });

  it('hands out copies of its lines', () => {
    cart.add(catalog.mug);
    const [line] = cart.items();
    line!.quantity = 50;
    expect(cart.itemCount).toBe(1);
  });

  it('updates and removes lines', () => {
    cart.add(catalog.tshirt, 2).add(catalog.book);
    cart.setQuantity('TS-001', 5);
    expect(cart.itemCount).toBe(6);
    cart.setQuantity('TS-001', 0);
    expect(cart.size).toBe(1);
    expect(cart.remove('BK-042')).toBe(true);
    expect(cart.remove('BK-042')).toBe(false);
    expect(cart.isEmpty()).toBe(true);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects quantity %p', (q) => {
    expect(() => cart.add(catalog.mug, q)).toThrow(CartError);
  });

  it('caps the quantity per line', () => {
    cart.add(catalog.mug, MAX_QUANTITY);
    expect(() => cart.add(catalog.mug)).toThrow(`at most ${MAX_QUANTITY} of MUG-01`);
    expect(() => cart.setQuantity('MUG-01', MAX_QUANTITY + 1)).toThrow(CartError);
  });

  it('refuses products priced in another currency', () => {
    expect(() => cart.add(product('US-1', 100, 'standard', { currency: 'USD' }))).toThrow(CurrencyMismatchError);
  });

  it('complains about unknown lines', () => {
    expect(() => cart.setQuantity('NOPE', 1)).toThrow('no line for NOPE');
  });

  it('computes gross, tax and total per line', () => {
    cart.add(catalog.tshirt, 2).add(catalog.book);
    const t = cart.totals();
    expect(t.subtotal.amount).toBe(3998 + 2400);
    expect(t.lines.map((l) => [l.sku, l.gross.amount, l.tax.amount])).toEqual([
      ['TS-001', 3998, 800], // 20 % of 39.98 = 7.996 → 8.00
      ['BK-042', 2400, 120], // 5 % of 24.00
    ]);
    expect(t.tax.amount).toBe(920);
    expect(t.total.amount).toBe(7318);
    expect(t.discount.amount).toBe(0);
  });

  it('weighs the physical goods', () => {
    cart.add(catalog.tshirt, 3).add(catalog.giftCard).add(catalog.book);
    expect(cart.weightGrams()).toBe(3 * 200 + 0 + 600);
  });

  it('clears lines and discounts', () => {
    cart.add(catalog.mug).applyDiscount({ kind: 'percent', code: 'TEN', percent: 10 });
    cart.clear();
    expect(cart.isEmpty()).toBe(true);
    expect(cart.removeDiscount('TEN')).toBe(false);
  });
});
