/**
 * The package's public API, as its three entry points export it: the
 * values by name, and the types (this file does not compile if one goes).
 * Internal moves must leave it as it is; the packed package's entry points
 * (CommonJS, ES modules, types) are checked by packaging.integration.test.ts.
 */
import * as root from '../src/index';
import type { ErrorCode, FastCiOptions, JestConfigLike } from '../src/index';
import * as reporter from '../src/reporter';
import type { ReporterOptions } from '../src/reporter';
import * as server from '../src/server';
import type { FrameRecord, NodeSnapshot, OrchestratorServer, RunMeta, RunSnapshot, ServerOptions, ServerStats } from '../src/server';

it('exports the same values from each entry point', () => {
  expect(Object.keys(root).sort()).toEqual(['ErrorCodes', 'FastCiError', 'FastCiRunner', 'default', 'withFastCi']);
  expect(Object.keys(reporter).sort()).toEqual(['FastCiReporter', 'default', 'formatNodeReport', 'originOf']);
  expect(Object.keys(server).sort()).toEqual(['SERVER_DEFAULTS', 'startServer']);
  expect(root.default).toBe(root.FastCiRunner);
  expect(reporter.default).toBe(reporter.FastCiReporter);
  expect(typeof server.startServer).toBe('function');
});

// The public types: this file does not compile (so the suite fails) if one is removed or renamed.
export type PublicTypes = [ErrorCode, FastCiOptions, JestConfigLike, ReporterOptions, ServerOptions, OrchestratorServer, RunSnapshot, NodeSnapshot, FrameRecord, RunMeta, ServerStats];
