import type { Config } from 'jest';

// The project's own tests, as two projects (test/README.md):
// - unit: in-process tests, pure functions and real servers and clients on
//   loopback; fast, run anywhere.
// - integration: tests that start child processes (real `jest` nodes, the
//   CLI, the demo). They load dist/, built once before any of them runs
//   (globalSetup), and every child process group a test starts is killed
//   after it (setupFilesAfterEach). Each file has its own servers on port 0,
//   its own build ids and temporary directories, so files can run side by
//   side.
// - redis: the server's behaviour tests again, each test server on a real
//   redis-server (RedisStore) instead of in memory (LocalStore): the same
//   behaviour, whichever store holds the runs.
// Fixtures are projects of their own and never collected here.
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] as [string, Record<string, unknown>] },
  modulePathIgnorePatterns: ['<rootDir>/test/fixtures/', '<rootDir>/examples/', '<rootDir>/dist/', '<rootDir>/.tmp/'],
} satisfies Config;

const config: Config = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/test/fixtures/', '/test/compat/', '\\.integration\\.test\\.ts$'],
      setupFilesAfterEnv: ['<rootDir>/test/setup/unit.ts'],
    },
    {
      ...common,
      displayName: 'redis',
      testMatch: ['<rootDir>/test/server/{round-trip,leases,retry,channel,reports,reference-clients,bad-input,health,parts,history}.test.ts'],
      globals: { FAST_CI_TEST_STORE: 'redis' },
      globalSetup: '<rootDir>/test/setup/redisGlobal.ts',
      globalTeardown: '<rootDir>/test/setup/redisTeardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/setup/unit.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.integration.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/test/fixtures/', '/test/compat/'],
      globalSetup: '<rootDir>/test/setup/globalSetup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/setup/children.ts'],
    },
  ],
  // Jest reads the test timeout from the root config only. Integration tests
  // get 90 s (their children are killed by their own timer at 70 s, first);
  // test/setup/unit.ts lowers it to 30 s for the unit project.
  testTimeout: 90_000,
  reporters: ['default'],
};

export default config;
