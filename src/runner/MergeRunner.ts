/**
 * The runner `jest-fast-ci merge` gives Jest: it runs no test file; it hands
 * Jest, for each file Jest found, the outcome recorded in the blob files
 * (FAST_CI_MERGE_BLOBS, set by the merge command), so the project's own
 * reporters (coverage and thresholds, JUnit, the summary) report the whole
 * run, with plain Jest's exit code. A file with no outcome in the blobs is
 * reported as failed, never skipped.
 */
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Test, TestEvents } from '@jest/test-result';
import type { Config } from '@jest/types';
import type { TestRunnerContext } from 'jest-runner';
import { setNodeRun } from '../nodeRun';
import { blobFiles, MERGE_BLOBS_ENV, readBlob, type BlobRecord } from './blobs';
import { RunnerEmitter } from './emitter';
import { loadJestPeers } from './jestPeers';
import { parsePartId } from '../protocol/parts';
import { mergeOutcomes } from './partOutcomes';
import { unpackOutcome } from './remoteOutcome';
import { TestIds } from './testIds';

const peers = loadJestPeers();

export default class MergeRunner extends peers.jestRunner.EmittingTestRunner {
  readonly #emitter = new RunnerEmitter();

  constructor(globalConfig: Config.GlobalConfig, context: TestRunnerContext) {
    super(globalConfig, context);
  }

  on<Name extends keyof TestEvents>(name: Name, listener: (args: TestEvents[Name]) => void | Promise<void>): () => void {
    return this.#emitter.on(name, listener);
  }

  async runTests(tests: Array<Test>): Promise<void> {
    const files = blobFiles(JSON.parse(process.env[MERGE_BLOBS_ENV] ?? '[]') as string[]);
    const byId = new Map<string, BlobRecord>();
    /** Parts of split files, by file: merged into one outcome when every part is there. */
    const partsOf = new Map<string, Map<number, BlobRecord> & { count?: number }>();
    let duplicates = 0;
    for (const record of (await Promise.all(files.map(readBlob))).flat()) {
      const part = parsePartId(record.header.id);
      if (part !== undefined) {
        const held: Map<number, BlobRecord> & { count?: number } = partsOf.get(part.file) ?? new Map();
        held.count = part.count;
        partsOf.set(part.file, held);
        if (held.has(part.index)) duplicates += 1;
        else held.set(part.index, record);
        continue;
      }
      if (byId.has(record.header.id)) duplicates += 1;
      else byId.set(record.header.id, record);
    }
    const root = this._globalConfig.rootDir;
    const ids = new TestIds(tests, root);
    const mapsDir = path.join(tmpdir(), 'jest-fast-ci-source-maps');
    let missing = 0;
    for (const test of tests) {
      const id = ids.id(test);
      const record = byId.get(id);
      byId.delete(id);
      await this.#emitter.emit('test-file-start', [test]);
      const parts = partsOf.get(id);
      partsOf.delete(id);
      if (record === undefined && parts !== undefined && parts.size === parts.count) {
        const outcome = mergeOutcomes([...parts].sort(([a], [b]) => a - b).map(([, r]) => unpackOutcome(r.header, r.body, root, test, mapsDir)));
        if (outcome.ok) await this.#emitter.emit('test-file-success', [test, outcome.result]);
        else await this.#emitter.emit('test-file-failure', [test, outcome.error]);
        continue;
      }
      if (record === undefined) {
        missing += 1;
        const message = `jest-fast-ci merge: no outcome for ${id} in the ${files.length} blob files: did every node write one (FAST_CI_BLOB_DIR), from the same commit and config?`;
        await this.#emitter.emit('test-file-failure', [test, { message, stack: undefined, type: 'Error' }]);
        continue;
      }
      const outcome = unpackOutcome(record.header, record.body, root, test, mapsDir);
      if (outcome.ok) await this.#emitter.emit('test-file-success', [test, outcome.result]);
      else await this.#emitter.emit('test-file-failure', [test, outcome.error]);
    }
    const unknown = [...byId.keys(), ...[...partsOf.keys()].map(file => `${file} (parts)`)];
    setNodeRun({ mode: 'merged', reason: `${files.length} blob files`, merged: { files: files.length, missing, unknown, duplicates } });
  }
}
