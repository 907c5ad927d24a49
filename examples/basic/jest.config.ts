/**
 * Jest 30 loads this file through ts-node; transpile-only skips type-checking
 * it at every start, about 3 s of CPU per jest process (Jest 29 ignores this).
 * @jest-config-loader-options {"transpileOnly": true}
 */
import type { Config } from 'jest';
const config: Config = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  runner: 'jest-fast-ci',
  reporters: ['default', 'jest-fast-ci/reporter'],
};
export default config;
