/**
 * Holds the outcomes of parts of split files until the file can be handed
 * to Jest once, as a whole: this node's parts as they finish, other nodes'
 * from the whole-run report. A file whose parts did not all come (this node
 * reports only its own files, or the whole run could not be had) is handed
 * over at the end with the parts there are.
 */
import type { Test } from '@jest/test-result';
import type { RunnerEmitter } from './RunnerEmitter';
import type { Outcome } from './types';
import { parsePartId } from '../protocol/parts';
import { mergeOutcomes } from './partOutcomes';

interface HeldFile {
  readonly test: Test;
  readonly count: number;
  readonly outcomes: Map<number, Outcome>;
  /** Some part came from another node; some ran here (Jest was told the file started). */
  remote: boolean;
  local: boolean;
}

export class PartAssembler {
  readonly #files = new Map<string, HeldFile>();

  /** Holds a part's outcome (the first for each part counts). */
  add(id: string, test: Test, outcome: Outcome, remote = false): void {
    const part = parsePartId(id);
    if (part === undefined) throw new Error(`${id} is not a part of a file`);
    let held = this.#files.get(part.file);
    if (held === undefined) {
      held = { test, count: part.count, outcomes: new Map(), remote: false, local: false };
      this.#files.set(part.file, held);
    }
    if (held.outcomes.has(part.index)) return;
    held.outcomes.set(part.index, outcome);
    held.remote ||= remote;
    held.local ||= !remote;
  }

  /** Whether this part is held already. */
  has(id: string): boolean {
    const part = parsePartId(id);
    return part !== undefined && (this.#files.get(part.file)?.outcomes.has(part.index) ?? false);
  }

  /** The files some part is held of (not yet taken). */
  files(): string[] {
    return [...this.#files.keys()];
  }

  /**
   * The file's outcome, its held parts merged, and whether every part was
   * there; the file is no longer held. Undefined when no part of it is held.
   */
  take(file: string): { readonly test: Test; readonly outcome: Outcome; readonly complete: boolean; readonly remote: boolean; readonly local: boolean } | undefined {
    const held = this.#files.get(file);
    if (held === undefined) return undefined;
    this.#files.delete(file);
    const outcome = mergeOutcomes([...held.outcomes].sort(([a], [b]) => a - b).map(([, o]) => o));
    return { test: held.test, outcome, complete: held.outcomes.size === held.count, remote: held.remote, local: held.local };
  }

  /**
   * Hands Jest each held file, merged: only those with every part, unless
   * `all`. Returns how many files went, and adds the paths of files with a
   * part from another node to `remotePaths`. `before` sees each outcome
   * before Jest does.
   */
  async emit(
    emitter: RunnerEmitter,
    { all = false, remotePaths, before }: { all?: boolean; remotePaths?: Set<string>; before?: (outcome: Outcome) => void } = {},
  ): Promise<number> {
    let emitted = 0;
    for (const [file, held] of [...this.#files]) {
      if (!all && held.outcomes.size < held.count) continue;
      const { test, outcome, remote, local } = this.take(file)!;
      if (remote) remotePaths?.add(test.path);
      before?.(outcome);
      if (!local) await emitter.emit('test-file-start', [test]);
      if (outcome.ok) await emitter.emit('test-file-success', [test, outcome.result]);
      else await emitter.emit('test-file-failure', [test, outcome.error]);
      emitted += 1;
    }
    return emitted;
  }
}
