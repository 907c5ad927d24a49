import { get } from './helpers/api';

describe('categories', () => {
  it('lists categories whose counts match the product listing', async () => {
    const categories = (await get('/categories')).body as Array<{ name: string; productCount: number }>;
    expect(categories.length).toBeGreaterThan(0);
    for (const { name, productCount } of categories) {
      const listing = await get(`/products?category=${encodeURIComponent(name)}`);
      expect(listing.body.total).toBe(productCount);
      expect(listing.body.items.every((p: { category: string }) => p.category === name)).toBe(true);
    }
  });

  it('covers the whole catalog', async () => {
    const categories = (await get('/categories')).body as Array<{ productCount: number }>;
    const total = (await get('/products')).body.total;
    expect(categories.reduce((n, c) => n + c.productCount, 0)).toBe(total);
  });

  it('an unknown category is an empty listing, not an error', async () => {
    const res = await get('/products?category=spaceships');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ items: [], total: 0 });
  });
});
