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
import FastCiRunner from './runner/FastCiRunner';

export default FastCiRunner;
export { FastCiError, ErrorCodes } from './errors';
export type { ErrorCode } from './errors';
export type { FastCiOptions } from './config';
