import { get, request } from './helpers/api';

describe('error handling', () => {
  it('answers unknown routes with a JSON 404', async () => {
    const res = await get('/definitely/not/here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'no route for /definitely/not/here' });
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    const res = await request('DELETE', '/products');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('wants JSON bodies', async () => {
    const res = await request('POST', '/cart/quote', { body: 'sku=TS-001', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
  });

  it('rejects malformed JSON with 400', async () => {
    const res = await request('POST', '/cart/quote', { body: '{"items": [', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('malformed JSON body');
  });

  it('rejects oversized bodies with 413', async () => {
    const huge = JSON.stringify({ items: [], padding: 'x'.repeat(200_000) });
    const res = await request('POST', '/cart/quote', { body: huge, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
  });

  it('still answers promptly after rejected bodies (no poisoned keep-alive connection)', async () => {
    const huge = JSON.stringify({ padding: 'x'.repeat(200_000) });
    await request('POST', '/cart/quote', { body: huge, headers: { 'content-type': 'application/json' } });
    await request('POST', '/cart/quote', { body: 'x'.repeat(100_000), headers: { 'content-type': 'text/plain' } });
    for (let i = 0; i < 3; i++) {
      const res = await get('/health');
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(2_000);
    }
  });

  it('serves robots.txt as plain text and keeps crawlers off orders', async () => {
    const res = await get('/robots.txt');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.body).toContain('Disallow: /orders');
  });
});
