import { get } from './helpers/api';

describe('shipping quotes', () => {
  it.each([
    ['DE', 'domestic'],
    ['FR', 'europe'],
    ['US', 'world'],
  ])('quotes %s as %s', async (country, zone) => {
    const res = await get(`/shipping/quote?country=${country}&grams=900`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ country, zone, currency: 'EUR' });
    expect(res.body.price).toBeGreaterThan(0);
  });

  it('is not cheaper for a heavier parcel', async () => {
    const light = (await get('/shipping/quote?country=FR&grams=500')).body.price;
    const heavy = (await get('/shipping/quote?country=FR&grams=4000')).body.price;
    expect(heavy).toBeGreaterThanOrEqual(light);
  });

  it('refuses what it cannot ship, with 422', async () => {
    const res = await get('/shipping/quote?country=US&grams=50000');
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/cannot be shipped/);
  });

  it('validates its parameters', async () => {
    expect((await get('/shipping/quote?grams=100')).status).toBe(400);
    expect((await get('/shipping/quote?country=Germany&grams=100')).status).toBe(400);
    expect((await get('/shipping/quote?country=DE&grams=-1')).status).toBe(400);
  });
});
