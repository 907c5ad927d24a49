import type { Config } from 'jest';

// The project's own tests. Integration tests spawn real `jest` processes and
// a real server, so they get a generous timeout; fixtures are projects of
// their own and never collected here.
const config: Config = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/fixtures/', '/test/compat/'],
  modulePathIgnorePatterns: ['<rootDir>/test/fixtures/', '<rootDir>/examples/', '<rootDir>/dist/'],
  testTimeout: 60_000,
  reporters: ['default'],
};

export default config;
