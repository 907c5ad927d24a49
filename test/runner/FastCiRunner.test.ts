/**
 * FastCiRunner driven the way Jest's scheduler drives it, in this process,
 * on a fixture project with real Jest contexts (jest-config, jest-runtime):
 * the decisions it takes from the command line and the environment.
 */
import { randomUUID } from 'node:crypto';
import type { Test } from '@jest/test-result';
import type { Config } from '@jest/types';
import { readConfig } from 'jest-config';
import Runtime from 'jest-runtime';
import { TestWatcher } from 'jest-watcher';
import FastCiRunner from '../../src/runner/FastCiRunner';
import { getNodeRun } from '../../src/nodeRun';
import { startServer, type OrchestratorServer } from '../../src/server';
import { fixture } from '../helpers/jestNodes';

const KEY = 'runner-direct-secret-1c9d';
let server: OrchestratorServer;
let stderr: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
});

afterAll(() => server.close());

beforeEach(() => {
  stderr = '';
  jest.spyOn(process.stderr, 'write').mockImplementation(chunk => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...savedEnv };
});

/** The fixture's configs, contexts and tests, as Jest builds them for a run with `argv`. */
async function jestRun(name: string, argv: Partial<Config.Argv> = {}): Promise<{ globalConfig: Config.GlobalConfig; tests: Test[] }> {
  const { globalConfig, projectConfig } = await readConfig({ $0: 'jest', _: [], ...argv } as Config.Argv, fixture(name));
  const context = await Runtime.createContext(projectConfig, { maxWorkers: 1, watchman: false });
  const tests = context.hasteFS.matchFiles(/\.test\.js$/).map(path => ({ context, path, duration: undefined }));
  return { globalConfig, tests };
}

async function run(name: string, argv: Partial<Config.Argv>): Promise<string[]> {
  const { globalConfig, tests } = await jestRun(name, argv);
  const runner = new FastCiRunner(globalConfig, { changedFiles: undefined, sourcesRelatedToTestsInChangedFiles: undefined });
  const passed: string[] = [];
  runner.on('test-file-success', ([test]) => void passed.push(test.path));
  await runner.runTests(tests, new TestWatcher({ isWatchMode: Boolean(argv.watch || argv.watchAll) }), { serial: true });
  return passed;
}

it('--watch running locally: watch mode runs every file here, like plain Jest, even with a key', async () => {
  const buildId = randomUUID();
  Object.assign(process.env, { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId });
  const passed = await run('basic', { watchAll: true });
  expect(passed).toHaveLength(12);
  expect(stderr).toContain('jest-fast-ci: watch mode always runs locally; running all 12 test files here, like plain Jest.');
  expect(getNodeRun()).toEqual({ mode: 'local', reason: 'watch mode always runs locally' });
  // The orchestrator never heard of this run.
  expect(server.run(buildId)).toBeUndefined();
});

it('takes the key out of the environment before any test file can read it', async () => {
  Object.assign(process.env, { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: randomUUID() });
  await run('basic', {});
  expect(process.env.FAST_CI_SECRET_KEY).toBeUndefined();
});
