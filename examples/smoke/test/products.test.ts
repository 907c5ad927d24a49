import { allProducts, get } from './helpers/api';

describe('products', () => {
  it('lists a first page with paging information', async () => {
    const res = await get('/products?perPage=5');
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(Math.min(5, res.body.total));
    expect(res.body).toMatchObject({ page: 1, perPage: 5, totalPages: Math.ceil(res.body.total / 5) });
  });

  it('pages through the whole catalog without repeats', async () => {
    const first = await get('/products?perPage=50');
    const paged = [];
    for (let page = 1; page <= Math.ceil(first.body.total / 4); page++) {
      paged.push(...(await get(`/products?perPage=4&page=${page}`)).body.items);
    }
    expect(paged.map((p) => p.sku)).toEqual(first.body.items.map((p: { sku: string }) => p.sku));
  });

  it('caps the page size', async () => {
    expect((await get('/products?perPage=1000')).body.perPage).toBe(50);
  });

  it('rejects nonsense paging', async () => {
    expect((await get('/products?page=0')).status).toBe(400);
    expect((await get('/products?perPage=abc')).status).toBe(400);
  });

  it('every product has a well-formed record and a detail page', async () => {
    const products = await allProducts();
    expect(products.length).toBeGreaterThan(0);
    for (const p of products) {
      expect(p).toMatchObject({ sku: expect.stringMatching(/^[A-Z]+-\d+$/), name: expect.any(String) });
      expect(Number.isInteger(p.price) && p.price > 0).toBe(true);
      const detail = await get(`/products/${encodeURIComponent(p.sku)}`);
      expect(detail.status).toBe(200);
      expect(detail.body).toEqual(p);
    }
  });

  it('answers 404 with a JSON error for unknown products', async () => {
    const res = await get('/products/NOPE-404');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'no product NOPE-404' });
  });
});
