import { Cart, TaxTable } from '../src/cart';
import { catalog, product } from './helpers/catalog';

const GERMANY: TaxTable = { standard: 0.19, reduced: 0.07, exempt: 0 };

describe('Cart tax', () => {
  it('uses the tax table it is given', () => {
    const cart = new Cart('EUR').add(catalog.tshirt).add(catalog.book);
    const t = cart.totals(GERMANY);
    expect(t.lines.map((l) => l.tax.amount)).toEqual([380, 168]); // 379.81 → 380, 168.00000000000003 → 168
    expect(t.total.amount).toBe(1999 + 2400 + 548);
  });

  it('charges no tax on exempt goods', () => {
    const t = new Cart('EUR').add(catalog.giftCard, 3).totals();
    expect(t.tax.amount).toBe(0);
    expect(t.total.amount).toBe(15000);
  });

  it('rounds each line half to even', () => {
    const table: TaxTable = { standard: 0.1, reduced: 0.1, exempt: 0 };
    const cart = new Cart('EUR').add(product('A', 25)).add(product('B', 35, 'reduced'));
    const t = cart.totals(table);
    expect(t.lines.map((l) => l.tax.amount)).toEqual([2, 4]); // 2.5 → 2, 3.5 → 4
    expect(t.tax.amount).toBe(6);
  });

  it('taxes the discounted price, not the list price', () => {
    const cart = new Cart('EUR').add(catalog.tshirt).applyDiscount({ kind: 'percent', code: 'HALF', percent: 50 });
    const t = cart.totals();
    expect(t.lines[0]!.net.amount).toBe(999); // 50 % of 19.99 = 9.995 → 10.00 off (half to even)
    expect(t.tax.amount).toBe(200); // 20 % of 9.99 = 1.998
  });

  it('keeps total = subtotal − discount + tax with mixed categories', () => {
    const cart = new Cart('EUR')
      .add(catalog.tshirt, 3)
      .add(catalog.book, 2)
      .add(catalog.giftCard)
      .add(catalog.mug, 4)
      .applyDiscount({ kind: 'percent', code: 'SPRING', percent: 15 });
    const t = cart.totals(GERMANY);
    expect(t.total.amount).toBe(t.subtotal.amount - t.discount.amount + t.tax.amount);
    expect(t.tax.amount).toBe(t.lines.reduce((acc, l) => acc + l.tax.amount, 0));
    expect(t.lines.find((l) => l.sku === 'GC-050')!.tax.amount).toBe(0);
  });
});
