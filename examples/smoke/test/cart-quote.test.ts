import { get, post } from './helpers/api';

describe('cart quote', () => {
  it('prices a cart: total = subtotal − discount + tax', async () => {
    const res = await post('/cart/quote', { items: [{ sku: 'TS-001', quantity: 2 }, { sku: 'BK-042', quantity: 1 }] });
    expect(res.status).toBe(200);
    const q = res.body;
    expect(q.currency).toBe('EUR');
    expect(q.total).toBe(q.subtotal - q.discount + q.tax);
    const prices = await Promise.all(['TS-001', 'BK-042'].map(async (sku) => (await get(`/products/${sku}`)).body.price));
    expect(q.subtotal).toBe(prices[0] * 2 + prices[1]);
  });

  it('applies a coupon', async () => {
    const items = [{ sku: 'MUG-01', quantity: 4 }];
    const plain = (await post('/cart/quote', { items })).body;
    const coupon = (await post('/cart/quote', { items, coupon: 'WELCOME10' })).body;
    expect(coupon.discount).toBe(Math.round(plain.subtotal * 0.1));
    expect(coupon.total).toBeLessThan(plain.total);
  });

  it('explains what is wrong with an invalid cart', async () => {
    const res = await post('/cart/quote', { items: [{ sku: 'NOPE', quantity: 0 }], coupon: 'FREEBIES' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid cart');
    expect(res.body.details).toEqual([
      'items[0].sku: unknown product "NOPE"',
      'items[0].quantity: must be an integer from 1 to 99',
      'coupon: unknown code',
    ]);
  });

  it('rejects an empty cart', async () => {
    expect((await post('/cart/quote', { items: [] })).status).toBe(400);
  });
});
