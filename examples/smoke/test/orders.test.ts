/**
 * Orders are checked with dry runs only (validation, stock, pricing, shipping;
 * nothing is written), so the suite is safe to run against production.
 */
import { allProducts, get, post } from './helpers/api';

describe('orders (dry run)', () => {
  it('prices an order as quote total plus shipping', async () => {
    const items = [{ sku: 'TS-001', quantity: 1 }, { sku: 'MUG-01', quantity: 2 }];
    const order = await post('/orders', { items, country: 'FR', dryRun: true });
    expect(order.status).toBe(200);
    const quote = (await post('/cart/quote', { items })).body;
    const shipping = (await get(`/shipping/quote?country=FR&grams=${quote.weightGrams}`)).body;
    expect(order.body).toEqual({ dryRun: true, items, total: quote.total + shipping.price, shipping: shipping.price });
  });

  it('refuses more than the available stock with 422', async () => {
    const products = await allProducts();
    let checked = 0;
    for (const { sku } of products) {
      const { available } = (await get(`/inventory/${sku}`)).body;
      if (available >= 99) continue; // cannot ask for more than the per-line maximum
      const res = await post('/orders', { items: [{ sku, quantity: available + 1 }], country: 'DE', dryRun: true });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ error: 'insufficient stock', details: [sku] });
      if (++checked === 3) break;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('needs a destination country', async () => {
    const res = await post('/orders', { items: [{ sku: 'TS-001', quantity: 1 }], dryRun: true });
    expect(res.status).toBe(400);
  });

  it('answers 404 for an unknown order', async () => {
    const res = await get('/orders/ord_000000000');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('no order ord_000000000');
  });
});
