import type { Config } from 'jest';
const config: Config = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Network checks: each request has its own 5 s deadline (test/helpers/api.ts).
  testTimeout: 30_000,
  // Starts the service on 127.0.0.1 unless SMOKE_BASE_URL points at a deployment.
  globalSetup: '<rootDir>/test/globalSetup.ts',
  globalTeardown: '<rootDir>/test/globalTeardown.ts',
  runner: 'jest-fast-ci',
  reporters: ['default', 'jest-fast-ci/reporter'],
};
export default config;
