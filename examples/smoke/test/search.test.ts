import { get } from './helpers/api';

describe('search', () => {
  it('finds products by word prefix', async () => {
    const res = await get('/search?q=camp');
    expect(res.status).toBe(200);
    expect(res.body.results.length).toBeGreaterThan(0);
    for (const r of res.body.results) expect(r.name.toLowerCase()).toMatch(/\bcamp/);
  });

  it('requires every word to match', async () => {
    const both = (await get('/search?q=camping%20mug')).body.results;
    const one = (await get('/search?q=camping')).body.results;
    expect(both.length).toBeLessThanOrEqual(one.length);
    expect(both.every((r: { name: string }) => /mug/i.test(r.name))).toBe(true);
  });

  it('returns an empty list, not an error, when nothing matches', async () => {
    const res = await get('/search?q=zzzzzz');
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([]);
  });

  it('rejects a query that is too short', async () => {
    expect((await get('/search?q=a')).status).toBe(400);
    expect((await get('/search')).status).toBe(400);
  });
});
