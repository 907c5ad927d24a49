import { Cart, CartError } from '../src/cart';
import { CurrencyMismatchError, money } from '../src/money';
import { catalog } from './helpers/catalog';

const eur = (n: number) => money(n, 'EUR');

describe('Cart discounts', () => {
  let cart: Cart;
  beforeEach(() => {
    cart = new Cart('EUR');
  });

  it('spreads a percent code over the lines, proportional to their value', () => {
    cart.add(catalog.tshirt, 2).add(catalog.book).applyDiscount({ kind: 'percent', code: 'TEN', percent: 10 });
    const t = cart.totals();
    expect(t.discount.amount).toBe(640); // 10 % of 63.98 = 6.398 → 6.40
    expect(t.lines.map((l) => l.discount.amount)).toEqual([400, 240]);
    expect(t.lines.map((l) => l.net.amount)).toEqual([3598, 2160]);
    expect(t.tax.amount).toBe(720 + 108);
    expect(t.total.amount).toBe(6398 - 640 + 828);
    expect(t.appliedCodes).toEqual(['TEN']);
  });

  it('ignores codes whose minimum subtotal is not reached', () => {
    cart.add(catalog.mug).applyDiscount({ kind: 'fixed', code: 'BIG5', amount: eur(500), minSubtotal: eur(10000) });
    const t = cart.totals();
    expect(t.discount.amount).toBe(0);
    expect(t.appliedCodes).toEqual([]);
    cart.add(catalog.giftCard, 2);
    expect(cart.totals().appliedCodes).toEqual(['BIG5']);
  });

  it('caps a fixed discount at the cart value', () => {
    cart.add(catalog.mug).applyDiscount({ kind: 'fixed', code: 'VOUCHER', amount: eur(5000) });
    const t = cart.totals();
    expect(t.discount.amount).toBe(1250);
    expect(t.tax.amount).toBe(0);
    expect(t.total.amount).toBe(0);
  });

  it.each([
    [2, 0],
    [3, 1250],
    [5, 1250],
    [6, 2500],
  ])('buy 2 get 1 free on %i mugs takes off %i', (quantity, expected) => {
    cart.add(catalog.mug, quantity).applyDiscount({ kind: 'buy-x-get-y', code: 'MUG3', sku: 'MUG-01', buy: 2, free: 1 });
    expect(cart.totals().discount.amount).toBe(expected);
  });

  it('applies item deals, then percent, then fixed', () => {
    cart
      .add(catalog.mug, 3)
      .applyDiscount({ kind: 'fixed', code: 'FIVE', amount: eur(500) })
      .applyDiscount({ kind: 'percent', code: 'TEN', percent: 10 })
      .applyDiscount({ kind: 'buy-x-get-y', code: 'MUG3', sku: 'MUG-01', buy: 2, free: 1 });
    const t = cart.totals();
    // 37.50 − 12.50 (free mug) = 25.00; −10 % = 22.50; −5.00 = 17.50
    expect(t.discount.amount).toBe(1250 + 250 + 500);
    expect(t.lines[0]!.net.amount).toBe(1750);
    expect(t.tax.amount).toBe(350);
    expect(t.total.amount).toBe(2100);
    expect(t.appliedCodes).toEqual(['MUG3', 'TEN', 'FIVE']);
  });

  it('skips an item deal for a product that is not in the cart', () => {
    cart.add(catalog.book).applyDiscount({ kind: 'buy-x-get-y', code: 'MUG3', sku: 'MUG-01', buy: 2, free: 1 });
    expect(cart.totals().appliedCodes).toEqual([]);
  });

  it('makes the cart free with 100 %', () => {
    cart.add(catalog.tshirt).add(catalog.book).applyDiscount({ kind: 'percent', code: 'STAFF', percent: 100 });
    expect(cart.totals().total.amount).toBe(0);
  });

  it('can remove a code again', () => {
    cart.add(catalog.tshirt).applyDiscount({ kind: 'percent', code: 'TEN', percent: 10 });
    expect(cart.removeDiscount('TEN')).toBe(true);
    expect(cart.totals().discount.amount).toBe(0);
  });

  it('validates codes when they are applied', () => {
    cart.applyDiscount({ kind: 'percent', code: 'TEN', percent: 10 });
    expect(() => cart.applyDiscount({ kind: 'fixed', code: 'TEN', amount: eur(1) })).toThrow('already applied');
    expect(() => cart.applyDiscount({ kind: 'percent', code: 'ZERO', percent: 0 })).toThrow(CartError);
    expect(() => cart.applyDiscount({ kind: 'percent', code: 'HUGE', percent: 150 })).toThrow(CartError);
    expect(() => cart.applyDiscount({ kind: 'fixed', code: 'NEG', amount: eur(-5) })).toThrow(CartError);
    expect(() => cart.applyDiscount({ kind: 'fixed', code: 'USD', amount: money(5, 'USD') })).toThrow(
      CurrencyMismatchError,
    );
    expect(() =>
      cart.applyDiscount({ kind: 'buy-x-get-y', code: 'B0', sku: 'MUG-01', buy: 0, free: 1 }),
    ).toThrow(CartError);
  });
});
