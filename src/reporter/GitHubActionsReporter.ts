/**
 * `jest-fast-ci/github-actions`: Jest's own github-actions reporter, each
 * failure annotated once per run. With whole-run reporting every node's Jest
 * is handed every other node's files, and Jest's reporter would annotate
 * each failure on every node (3 nodes: 3 identical `::error`s). This one
 * hands Jest's reporter only the files this node ran (`originOf`), so each
 * failure is annotated by the node that ran it; and it adds one `::warning`
 * for each flaky file (failed, then passed when run again on another node),
 * from the node whose run passed. withFastCi puts it in place of
 * 'github-actions'. Outside GitHub Actions it prints nothing, as Jest's.
 */
import * as path from 'node:path';
import { getNodeRun } from '../nodeRun';
import { originOf } from '../origin';
import { loadGitHubActionsReporter, type JestReporterLike } from '../runner/jestPeers';
import { annotation } from './jobSummary';

interface TestLike {
  readonly path: string;
  readonly context?: { readonly config?: { readonly rootDir?: string } };
}

export default class GitHubActionsReporter {
  readonly #jest: JestReporterLike | undefined;
  readonly #write: (text: string) => void;
  /** This node's own files that passed, by test id (posix path from rootDir): a flaky one is warned of here. */
  readonly #passedHere = new Map<string, string>();

  constructor(globalConfig: unknown, options?: Record<string, unknown>) {
    const { write, ...jestOptions } = options ?? {};
    this.#write = typeof write === 'function' ? (write as (text: string) => void) : text => process.stderr.write(text);
    // Jest adds its own only on GitHub Actions; so does this one.
    this.#jest = process.env.GITHUB_ACTIONS === 'true' ? new (loadGitHubActionsReporter())(globalConfig, jestOptions) : undefined;
  }

  onRunStart(...args: unknown[]): void {
    this.#jest?.onRunStart?.(...args);
  }

  onTestResult(test: TestLike, result: { readonly numFailingTests?: number; readonly testExecError?: unknown }, aggregated: unknown): void {
    // Another node's file: annotated there.
    if (this.#jest === undefined || originOf(test) !== undefined || originOf(result) !== undefined) return;
    const hook = this.#jest.onTestResult ?? this.#jest.onTestFileResult;
    hook?.call(this.#jest, test, result, aggregated);
    if ((result.numFailingTests ?? 0) === 0 && result.testExecError == null) {
      const rootDir = test.context?.config?.rootDir ?? process.cwd();
      this.#passedHere.set(path.relative(rootDir, test.path).split(path.sep).join('/'), test.path);
    }
  }

  onRunComplete(...args: unknown[]): void {
    this.#jest?.onRunComplete?.(...args);
    if (this.#jest === undefined) return;
    const run = getNodeRun();
    for (const id of run?.summary?.flaky ?? []) {
      // Ids of a projects config are qualified by project; the path is their end.
      const file = [...this.#passedHere].find(([relative]) => id === relative || id.endsWith(`/${relative}`) || id.endsWith(`:${relative}`))?.[1];
      if (file === undefined) continue;
      const where = run?.label === undefined ? '' : ` (${run.label})`;
      this.#write(
        `\n${annotation('warning', {
          file: path.relative(process.cwd(), file),
          title: `Flaky: ${id}`,
          message: `${id} failed, then passed when run again on another node${where}. The failed attempt is on the run's page and in the log of the node that ran it.`,
        })}\n`,
      );
    }
  }

  getLastError(): Error | undefined {
    return this.#jest?.getLastError?.();
  }
}

// Also named, for the ES module entry (dist/reporter/GitHubActionsReporter.mjs) to re-export as its default.
export { GitHubActionsReporter };
