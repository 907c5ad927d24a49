import { resolveServerOptions } from '../../src/server/options';
import { KeyRing } from '../../src/server/host/KeyRing';
import { redactUrl } from '../../src/server/http/upgrade';
import { startServer } from '../../src/server';

describe('resolveServerOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveServerOptions({ secretKeys: ['a-test-key-1'] })).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      leaseTimeoutMs: 30 * 60_000,
      reconnectGraceMs: 30_000,
      idleTimeoutMs: 60_000,
      maxFrameBytes: 16 * 1024 * 1024,
      maxFilesPerRun: 100_000,
      finishedRunTtlMs: 60 * 60_000,
      recordFrames: false,
      dashboard: true,
      viewToken: undefined,
    });
  });

  it.each([
    [{ secretKeys: [] }, /secretKeys must be a non-empty array/],
    [{ secretKeys: ['a-test-key-1', 'k'] }, /options.secretKeys\[1\] must be at least 8 characters: a short key can be guessed/],
    [{ secretKeys: [''] }, /secretKeys\[0\] must be a non-empty string/],
    [{ secretKeys: ['a-test-key-1'], port: 70_000 }, /port must be an integer from 0 to 65535/],
    [{ secretKeys: ['a-test-key-1'], leaseTimeoutMs: 0 }, /leaseTimeoutMs must be an integer from 1/],
    [{ secretKeys: ['a-test-key-1'], idleTimeoutMs: 2 ** 40 }, /idleTimeoutMs must be an integer from 1 to 2147483647/],
    [{ secretKeys: ['a-test-key-1'], dashboard: 'no' }, /options.dashboard must be true or false, got no/],
    [{ secretKeys: ['a-test-key-1'], viewToken: 'short' }, /options.viewToken must be a string of at least 16 characters without spaces/],
    [{ secretKeys: ['a-test-key-1'], viewToken: 'a long token with spaces' }, /options.viewToken must be a string of at least 16 characters without spaces/],
    [{ secretKeys: ['a-test-key-1', 'the-same-as-a-key-1'], viewToken: 'the-same-as-a-key-1' }, /options.viewToken must differ from every secret key/],
    [{ secretKeys: ['a-test-key-1'], publicUrl: 'ftp://q.example.com' }, /options.publicUrl must be an http\(s\) address without credentials, query or fragment/],
    [{ secretKeys: ['a-test-key-1'], publicUrl: 'https://user:pass@q.example.com/' }, /options.publicUrl must be an http\(s\) address without credentials/],
    [{ secretKeys: ['a-test-key-1'], metricsPort: -1 }, /options.metricsPort must be an integer from 0 to 65535/],
    [{ secretKeys: ['a-test-key-1'], metricsToken: 'a-test-key-1' }, /options.metricsToken must be a string of at least 16 characters without spaces, and not a secret key/],
    [{ secretKeys: ['a-test-key-1'], logFormat: 'text' }, /options.logFormat must be "json" \(or left out\), got "text"/],
  ])('rejects %j with a TypeError', (options, message) => {
    expect(() => resolveServerOptions(options as never)).toThrow(TypeError);
    expect(() => resolveServerOptions(options as never)).toThrow(message);
  });

  it('keeps the public address without its trailing slash, for the run links nodes print', () => {
    expect(resolveServerOptions({ secretKeys: ['a-test-key-1'], publicUrl: 'https://q.example.com/ci/' }).publicUrl).toBe('https://q.example.com/ci');
  });

  it('makes startServer reject before listening', async () => {
    await expect(startServer({ secretKeys: [] })).rejects.toThrow(TypeError);
  });
});

describe('KeyRing', () => {
  it('matches any configured key and reports its position, never the key', () => {
    const ring = new KeyRing(['one', 'two'], Buffer.alloc(32, 1));
    expect(ring.match('two')).toEqual({ hash: expect.stringMatching(/^[0-9a-f]{64}$/), index: 1 });
    expect(ring.match('three')).toBeUndefined();
    expect(ring.match('')).toBeUndefined();
    expect(ring.match(null)).toBeUndefined();
    expect(ring.indexOfHash(ring.match('one')!.hash)).toBe(0);
  });

  it('names a key by a digest keyed with the server secret: another secret, another name; never the plain sha256', () => {
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    const a = new KeyRing(['one'], Buffer.alloc(32, 1)).match('one')!.hash;
    const b = new KeyRing(['one'], Buffer.alloc(32, 2)).match('one')!.hash;
    expect(a).not.toBe(b);
    expect(a).not.toBe(createHash('sha256').update('one').digest('hex'));
    expect(new KeyRing(['one'], Buffer.alloc(32, 1)).match('one')!.hash).toBe(a);
  });
});

it('redacts the secret in logged URLs', () => {
  expect(redactUrl('/test_orchestrators/socket/websocket?build_id=1&secret_key=s3cr3t&vsn=2.0.0')).toBe(
    '/test_orchestrators/socket/websocket?build_id=1&secret_key=[redacted]&vsn=2.0.0',
  );
});

it('redacts the secret by its parsed name: a percent-encoded name is the key too', () => {
  expect(redactUrl('/test_orchestrators/socket/websocket?secret%5Fkey=s3cr3t&vsn=2.0.0')).toBe('/test_orchestrators/socket/websocket?secret_key=[redacted]&vsn=2.0.0');
  // Values are written back encoded: nothing in a query can start a new log line.
  expect(redactUrl('/test_orchestrators/socket/websocket?build_id=a%0Aforged')).toBe('/test_orchestrators/socket/websocket?build_id=a%0Aforged');
});

it('never logs a key sent where no key belongs: a misnamed parameter, a path segment', () => {
  expect(redactUrl('/test_orchestrators/socket/websocket?SECRET_KEY=s3cr3t&key=s3cr3t&vsn=2.0.0')).toBe(
    '/test_orchestrators/socket/websocket?SECRET_KEY=[redacted]&key=[redacted]&vsn=2.0.0',
  );
  expect(redactUrl('/test_orchestrators/s3cr3t/websocket?vsn=2.0.0')).toBe('/[a path of 36 characters]?vsn=2.0.0');
  expect(redactUrl('/s3cr3t')).not.toContain('s3cr3t');
});
