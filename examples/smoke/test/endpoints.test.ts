/**
 * The point of a smoke suite: every endpoint answers, not just /health.
 * One request per route, with the status and content type it must have.
 */
import { request } from './helpers/api';

const quoteBody = { items: [{ sku: 'TS-001', quantity: 1 }] };

const endpoints: Array<[method: string, path: string, body: unknown, status: number, type: string]> = [
  ['GET', '/health', undefined, 200, 'application/json'],
  ['GET', '/version', undefined, 200, 'application/json'],
  ['GET', '/products', undefined, 200, 'application/json'],
  ['GET', '/products/TS-001', undefined, 200, 'application/json'],
  ['GET', '/categories', undefined, 200, 'application/json'],
  ['GET', '/search?q=mug', undefined, 200, 'application/json'],
  ['GET', '/inventory/TS-001', undefined, 200, 'application/json'],
  ['POST', '/cart/quote', quoteBody, 200, 'application/json'],
  ['GET', '/shipping/quote?country=FR&grams=800', undefined, 200, 'application/json'],
  ['POST', '/orders', { ...quoteBody, country: 'DE', dryRun: true }, 200, 'application/json'],
  ['GET', '/orders/ord_does_not_exist', undefined, 404, 'application/json'],
  ['GET', '/robots.txt', undefined, 200, 'text/plain'],
];

describe('every endpoint answers', () => {
  it.each(endpoints)('%s %s → %i', async (method, path, body, status, type) => {
    const res = await request(method, path, body === undefined ? {} : {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(new RegExp(`^${type}`));
    expect(res.headers.get('x-service-version')).toMatch(/^\d+\.\d+\.\d+$/);
    expect(res.ms).toBeLessThan(2_000);
  });
});
