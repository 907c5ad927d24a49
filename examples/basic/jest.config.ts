import type { Config } from 'jest';
const config: Config = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  runner: 'jest-fast-ci',
  reporters: ['default', 'jest-fast-ci/reporter'],
};
export default config;
