import { get } from './helpers/api';

describe('health and version', () => {
  it('reports healthy and is never cached', async () => {
    const res = await get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', uptimeSeconds: expect.any(Number) });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('says which build is running, consistently with its header', async () => {
    const res = await get('/version');
    expect(res.body).toMatchObject({ name: 'example-shop-api', version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    expect(res.headers.get('x-service-version')).toBe(res.body.version);
  });

  it('sends basic security headers', async () => {
    const res = await get('/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
