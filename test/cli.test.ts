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

  it('reads every tunable server option as a flag, seconds as seconds', () => {
    const argv = [
      'serve', '--secret-key', 'k', '--reconnect-grace', '5', '--idle-timeout', '90', '--finished-run-ttl', '600', '--shutdown-grace', '3',
      '--max-frame-bytes', '1048576', '--max-files-per-run', '50000', '--max-runs-per-key', '10', '--max-connections-per-key', '100',
      '--max-nodes-per-run', '64', '--max-crashes-per-file', '3', '--max-pending-connections', '128', '--max-unsent-bytes', '8388608',
    ];
    expect(parseCli(argv, {})).toEqual({
      kind: 'serve',
      options: {
        secretKeys: ['k'],
        reconnectGraceMs: 5_000,
        idleTimeoutMs: 90_000,
        finishedRunTtlMs: 600_000,
        shutdownGraceMs: 3_000,
        maxFrameBytes: 1_048_576,
        maxFilesPerRun: 50_000,
        maxRunsPerKey: 10,
        maxConnectionsPerKey: 100,
        maxNodesPerRun: 64,
        maxCrashesPerFile: 3,
        maxPendingConnections: 128,
        maxUnsentBytes: 8_388_608,
      },
    });
  });

  it('reads the view token from --view-token or FAST_CI_VIEW_TOKEN, and --no-dashboard', () => {
    expect(parseCli(['serve', '--secret-key', 'k', '--view-token', 'token-from-the-flag-1'], { FAST_CI_VIEW_TOKEN: 'token-from-the-env-12' })).toEqual({
      kind: 'serve',
      options: { secretKeys: ['k'], viewToken: 'token-from-the-flag-1' },
    });
    expect(parseCli(['serve', '--no-dashboard'], { FAST_CI_SECRET_KEY: 'k', FAST_CI_VIEW_TOKEN: ' token-from-the-env-12 ' })).toEqual({
      kind: 'serve',
      options: { secretKeys: ['k'], viewToken: 'token-from-the-env-12', dashboard: false },
    });
  });

  it('reads the public address, the metrics listener, the JSON log and FAST_CI_METRICS_TOKEN', () => {
    const argv = ['serve', '--public-url', 'https://q.example.com', '--metrics-port', '9464', '--metrics-host', '0.0.0.0', '--log-format', 'json'];
    expect(parseCli(argv, { FAST_CI_SECRET_KEY: 'k', FAST_CI_METRICS_TOKEN: 'metrics-token-0123456' })).toEqual({
      kind: 'serve',
      options: { secretKeys: ['k'], publicUrl: 'https://q.example.com', metricsPort: 9464, metricsHost: '0.0.0.0', logFormat: 'json', metricsToken: 'metrics-token-0123456' },
    });
  });

  it.each([
    [['serve', '--secret-key', 'k', '--log-format', 'text'], /--log-format must be json, got "text"/],
    [['serve', '--secret-key', 'k', '--metrics-port', '70000'], /--metrics-port must be a whole number from 0 to 65535/],
    [['serve', '--secret-key', 'k', '--view-token', 'short'], /The view token \(--view-token or FAST_CI_VIEW_TOKEN\) must be at least 16 characters/],
    [['serve', '--secret-key', 'same-as-the-key-123', '--view-token', 'same-as-the-key-123'], /The view token must differ from every secret key/],
    [['serve', '--secret-key', 'k', '--no-dashboard=yes'], /--no-dashboard takes no value/],
    [['serve', '--secret-key', 'k', '--reconnect-grace', '0'], /--reconnect-grace must be a whole number from 1 to 2000000, got "0"/],
    [['serve'], /No secret key: set FAST_CI_SECRET_KEY/],
    [['serve', '--port', 'x', '--secret-key', 'k'], /--port must be a whole number from 0 to 65535, got "x"/],
    [['serve', '--secret-key'], /--secret-key needs a value/],
    [['serve', '--nope'], /Unknown option "--nope"/],
    [['start'], /Unknown command "start"/],
  ])('rejects %j with a config error', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG, message: expect.stringMatching(message) }));
  });
});


describe('parseCli quarantine', () => {
  const env = { FAST_CI_SERVER: 'wss://q.example.com:443', FAST_CI_SECRET_KEY: 'k-12345678' };

  it('reads the action, the test, the reason and the limits; the server and key as the runner finds them', () => {
    expect(parseCli(['quarantine', 'add', 'test/a.test.ts', 'cart totals', '--reason', 'race', '--days=3', '--clean-runs', '5', '--run-key', 'unit'], env)).toEqual({
      kind: 'quarantine',
      action: 'add',
      server: 'wss://q.example.com:443',
      key: 'k-12345678',
      runKey: 'unit',
      file: 'test/a.test.ts',
      name: 'cart totals',
      reason: 'race',
      days: 3,
      cleanRuns: 5,
    });
    expect(parseCli(['quarantine', 'list'], env)).toMatchObject({ kind: 'quarantine', action: 'list', runKey: 'jest' });
  });

  it.each([
    [['quarantine'], {}, /quarantine needs list, add or remove/],
    [['quarantine', 'list'], { FAST_CI_SECRET_KEY: 'k' }, /set FAST_CI_SERVER/],
    [['quarantine', 'list'], { FAST_CI_SERVER: 'ws://127.0.0.1:4000' }, /set FAST_CI_SECRET_KEY/],
    [['quarantine', 'add', 'test/a.test.ts'], { FAST_CI_SERVER: 'ws://127.0.0.1:4000', FAST_CI_SECRET_KEY: 'k' }, /needs the test file and the test's full name/],
    [['quarantine', 'remove', 'test/a.test.ts', 'a'], { FAST_CI_SERVER: 'ws://127.0.0.1:4000', FAST_CI_SECRET_KEY: 'k' }, /needs --reason/],
    [['quarantine', 'list', '--nope', 'x'], { FAST_CI_SERVER: 'ws://127.0.0.1:4000', FAST_CI_SECRET_KEY: 'k' }, /Unknown option "--nope"/],
  ])('rejects %j with a config error', (argv, env, message) => {
    expect(() => parseCli(argv, env)).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG, message: expect.stringMatching(message) }));
  });
});

describe('parseCli merge', () => {
  it("takes Jest's arguments after the blob paths, with or without --, as people type them", () => {
    const expected = { kind: 'merge', paths: ['blobs/', 'more.ndjson'], jestArgs: ['--config', 'jest.ci.config.js', '--ci'] };
    expect(parseCli(['merge', 'blobs/', 'more.ndjson', '--config', 'jest.ci.config.js', '--ci'], {})).toEqual(expected);
    expect(parseCli(['merge', 'blobs/', 'more.ndjson', '--', '--config', 'jest.ci.config.js', '--ci'], {})).toEqual(expected);
    expect(parseCli(['merge', 'blobs/'], {})).toEqual({ kind: 'merge', paths: ['blobs/'], jestArgs: [] });
  });

  it('says what the usage is when no blob path comes before the Jest arguments', () => {
    expect(() => parseCli(['merge', '--config', 'jest.ci.config.js'], {})).toThrow(
      expect.objectContaining({ code: ErrorCodes.CONFIG, message: expect.stringContaining('jest-fast-ci merge <blob dir or files>... [jest arguments]') }),
    );
  });
});
