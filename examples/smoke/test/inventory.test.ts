import { allProducts, get } from './helpers/api';

describe('inventory', () => {
  it('knows the stock of every product in the catalog', async () => {
    for (const { sku } of await allProducts()) {
      const res = await get(`/inventory/${sku}`);
      expect(res.status).toBe(200);
      expect(Number.isInteger(res.body.available) && res.body.available >= 0).toBe(true);
      expect(res.body).toEqual({ sku, available: res.body.available, inStock: res.body.available > 0 });
    }
  });

  it('answers 404 for unknown SKUs', async () => {
    expect((await get('/inventory/NOPE-1')).status).toBe(404);
  });
});
