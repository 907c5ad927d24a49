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
import { unpackCoverage, unpackOutcome } from './remoteOutcome';
import { carryCoverage, type CoverageBody } from './NodeCoverage';
import { COVERAGE_ID } from '../protocol/reports';
import type { Outcome } from './types';
import { toError } from '../errors';
import { TestIds } from './TestIds';
import { applyQuarantine } from './quarantine';
import { quarantineMode } from '../config/resolveConfig';
import { quarantineByFile } from '../protocol/quarantine';

const peers = loadJestPeers();

export default class MergeRunner extends peers.jestRunner.EmittingTestRunner {
  readonly #emitter = new RunnerEmitter();

  constructor(globalConfig: Config.GlobalConfig, context: TestRunnerContext) {
    super(globalConfig, context);
  }

  on<Name extends keyof TestEvents>(name: Name, listener: (args: TestEvents[Name]) => void | Promise<void>): () => void {
    return this.#emitter.on(name, listener);
  }

  /** Records that could not be used, and why (FASTCI_ERR_RECORD): reported as the file's failure. */
  readonly #refused = new Map<BlobRecord, string>();

  #unpack(record: BlobRecord, root: string, test: Test): Outcome | undefined {
    try {
      return unpackOutcome(record.header, record.body, root, test);
    } catch (error) {
      const why = toError(error).message;
      this.#refused.set(record, why);
      process.stderr.write(`jest-fast-ci merge: skipped a record of ${record.file} (FASTCI_ERR_RECORD): ${why}.\n`);
      return undefined;
    }
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
    // Each node's coverage, merged on the node: Jest gets them all once, with the first result.
    const coverage: CoverageBody[] = [];
    const blobs = await Promise.all(files.map(readBlob));
    // Each outcome with the quarantine its node was told (its blob's header; a retried job's may differ from the first
    // attempt's); a split file's parts may come from several blobs, so it takes theirs together.
    const quarantineOf = new Map(files.map((file, i) => [file, quarantineByFile(blobs[i]!.header.quarantine ?? [])]));
    const anyBlob = quarantineByFile(blobs.flatMap(b => b.header.quarantine ?? []));
    const mode = quarantineMode(process.env.FAST_CI_QUARANTINE);
    for (const record of blobs.flatMap(b => b.records)) {
      if (record.header.id === COVERAGE_ID) {
        try {
          coverage.push(unpackCoverage(record.header, record.body, root, mapsDir));
        } catch (error) {
          process.stderr.write(`jest-fast-ci merge: skipped the coverage in ${record.file} (FASTCI_ERR_RECORD): ${toError(error).message}.\n`);
        }
        continue;
      }
      const part = parsePartId(record.header.id);
      const partOf = part === undefined ? undefined : ids.test(part.file);
      if (part !== undefined && partOf === undefined) unknownParts.add(`${part.file} (parts)`);
      else if (partOf !== undefined && parts.has(record.header.id)) duplicates += 1;
      else if (partOf !== undefined) {
        const outcome = this.#unpack(record, root, partOf);
        if (outcome !== undefined) parts.add(record.header.id, partOf, outcome, true);
      }
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
      const outcome = record !== undefined ? this.#unpack(record, root, test) : split?.complete ? split.outcome : undefined;
      if (outcome === undefined) {
        missing += 1;
        const refused = record === undefined ? undefined : this.#refused.get(record);
        const message =
          refused !== undefined
            ? `jest-fast-ci merge: the outcome of ${id} in ${record!.file} cannot be used: ${refused}`
            : `jest-fast-ci merge: no outcome for ${id} in the ${files.length} blob files: did every node write one (FAST_CI_BLOB_DIR), from the same commit and config?`;
        await this.#emitter.emit('test-file-failure', [test, { message, stack: undefined, type: 'Error' }]);
        continue;
      }
      if (outcome.ok) {
        if (coverage.length > 0) carryCoverage(outcome.result, coverage.splice(0));
        applyQuarantine(outcome.result, (record === undefined ? anyBlob : quarantineOf.get(record.file)!).get(id), mode);
        await this.#emitter.emit('test-file-success', [test, outcome.result]);
      } else await this.#emitter.emit('test-file-failure', [test, outcome.error]);
    }
    const unknown = [...byId.keys(), ...unknownParts];
    setNodeRun({ mode: 'merged', reason: `${files.length} blob files`, merged: { files: files.length, missing, unknown, duplicates } });
  }
}
