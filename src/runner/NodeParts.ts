import type { Test } from '@jest/test-result';
import type { PartSpec } from '../protocol/parts';
import type { Outcome } from './types';
import type { PartAssembler } from './PartAssembler';

/**
 * The parts of split files among the ids handed to this node (parts
 * extension): which ids are parts, and where a part's outcome waits for
 * the file's other parts, so that Jest sees each file once.
 */
export class NodeParts {
  readonly #assembler: PartAssembler | undefined;
  readonly #specs = new Map<string, PartSpec>();

  /** Without an assembler, this node runs whole files only. */
  constructor(assembler: PartAssembler | undefined) {
    this.#assembler = assembler;
  }

  add(id: string, spec: PartSpec): void {
    if (this.#assembler === undefined) throw new Error('this queue was not given a PartAssembler: it cannot run parts of files');
    this.#specs.set(id, spec);
  }

  /** The part `id` is, or undefined for a whole file. */
  spec(id: string): PartSpec | undefined {
    return this.#specs.get(id);
  }

  has(id: string): boolean {
    return this.#specs.has(id);
  }

  /** Holds a part's outcome until the file's other parts come. */
  hold(id: string, test: Test, outcome: Outcome): void {
    this.#assembler!.add(id, test, outcome);
  }

  /** How many parts `hasRun` says this node ran, and of how many files. */
  count(hasRun: (id: string) => boolean): { readonly parts: number; readonly files: number } {
    const ran = [...this.#specs].filter(([id]) => hasRun(id));
    return { parts: ran.length, files: new Set(ran.map(([, spec]) => spec.file)).size };
  }
}
