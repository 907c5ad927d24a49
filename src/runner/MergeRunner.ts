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
import { parsePartId } from '../protocol/parts';
import { blobFiles, MERGE_BLOBS_ENV, readBlob, type BlobRecord } from './blobs';
import { RunnerEmitter } from './RunnerEmitter';
import { loadJestPeers } from './jestPeers';
import { PartAssembler } from './PartAssembler';
import { unpackOutcome } from './remoteOutcome';
import { TestIds } from './TestIds';

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
    const root = this._globalConfig.rootDir;
    const ids = new TestIds(tests, root);
    const mapsDir = path.join(tmpdir(), 'jest-fast-ci-source-maps');
    const byId = new Map<string, BlobRecord>();
    // Parts of split files: one outcome for the file when every part is there.
    const parts = new PartAssembler();
    const unknownParts = new Set<string>();
    let duplicates = 0;
    for (const record of (await Promise.all(files.map(readBlob))).flat()) {
      const part = parsePartId(record.header.id);
      const partOf = part === undefined ? undefined : ids.test(part.file);
      if (part !== undefined && partOf === undefined) unknownParts.add(`${part.file} (parts)`);
      else if (partOf !== undefined && parts.has(record.header.id)) duplicates += 1;
      else if (partOf !== undefined) parts.add(record.header.id, partOf, unpackOutcome(record.header, record.body, root, partOf, mapsDir), true);
      else if (byId.has(record.header.id)) duplicates += 1;
      else byId.set(record.header.id, record);
    }
    let missing = 0;
    for (const test of tests) {
      const id = ids.id(test);
      const record = byId.get(id);
      byId.delete(id);
      await this.#emitter.emit('test-file-start', [test]);
      const split = parts.take(id);
      // A split file with a part missing is missing: never reported from some of its tests.
      const outcome = record !== undefined ? unpackOutcome(record.header, record.body, root, test, mapsDir) : split?.complete ? split.outcome : undefined;
      if (outcome === undefined) {
        missing += 1;
        const message = `jest-fast-ci merge: no outcome for ${id} in the ${files.length} blob files: did every node write one (FAST_CI_BLOB_DIR), from the same commit and config?`;
        await this.#emitter.emit('test-file-failure', [test, { message, stack: undefined, type: 'Error' }]);
        continue;
      }
      if (outcome.ok) await this.#emitter.emit('test-file-success', [test, outcome.result]);
      else await this.#emitter.emit('test-file-failure', [test, outcome.error]);
    }
    const unknown = [...byId.keys(), ...unknownParts];
    setNodeRun({ mode: 'merged', reason: `${files.length} blob files`, merged: { files: files.length, missing, unknown, duplicates } });
  }
}
