import { parseCli } from '../src/cli';
import { ErrorCodes } from '../src/errors';

describe('parseCli', () => {
  it('reads flags and keys from both flags and FAST_CI_SECRET_KEY', () => {
    expect(parseCli(['serve', '--port', '0', '--host=0.0.0.0', '--secret-key', 'a', '--lease-timeout', '90', '--data-dir', '/tmp/d'], { FAST_CI_SECRET_KEY: 'b, c' })).toEqual({
      kind: 'serve',
      options: { port: 0, host: '0.0.0.0', secretKeys: ['a', 'b', 'c'], leaseTimeoutMs: 90_000, dataDir: '/tmp/d' },
    });
    expect(parseCli(['--help'], {})).toEqual({ kind: 'help' });
  });

  it.each([
    [['serve'], /No secret key: set FAST_CI_SECRET_KEY/],
    [['serve', '--port', 'x', '--secret-key', 'k'], /--port must be a whole number from 0 to 65535, got "x"/],
    [['serve', '--secret-key'], /--secret-key needs a value/],
    [['serve', '--nope'], /Unknown option "--nope"/],
    [['start'], /Unknown command "start"/],
  ])('rejects %j with a config error', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG, message: expect.stringMatching(message) }));
  });
});

