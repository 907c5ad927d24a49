/**
 * jest-fast-ci: the Jest runner. Use it in jest.config:
 *
 * @example
 * // jest.config.ts
 * export default {
 *   runner: 'jest-fast-ci',
 *   reporters: ['default', 'jest-fast-ci/reporter'],
 * };
 */
import type { FastCiOptions } from './config';
import type { JestTestRunnerClass } from './jestShapes';
import Runner from './runner/FastCiRunner';

// Typed by Jest's runner contract rather than as the class: the class's own
// type names jest-runner, which a project that declares only jest (pnpm,
// Yarn Plug'n'Play) cannot resolve. Jest calls the constructor with its own
// objects, so only the instance is checked against the contract.
const FastCiRunner: JestTestRunnerClass<FastCiOptions> = Runner as new (...args: ConstructorParameters<JestTestRunnerClass<FastCiOptions>>) => Runner;

export default FastCiRunner;
// Also named, for the ES module entry (dist/index.mjs) to re-export as its default.
export { FastCiRunner };
export { FastCiError, ErrorCodes } from './errors';
export { withFastCi } from './withFastCi';
export type { JestConfigLike } from './withFastCi';
export type { ErrorCode } from './errors';
export type { FastCiOptions } from './config';
