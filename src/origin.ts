/**
 * Which node ran a file Jest was handed (whole-run reporting hands every
 * node's Jest the other nodes' files too). The runner marks each such file's
 * `Test` and result with the node that ran it; reporters ask `originOf` so
 * they can tell: the paired reporter counts this node's share, the
 * github-actions reporter annotates only this node's failures (each failure
 * once per run), and anyone's own reporter can do the same. A symbol key, so
 * `--json` and JUnit output are unchanged.
 */
const ORIGIN = Symbol.for('jest-fast-ci.origin');
/** The Test a replayed copy was made from (the runner's own maps are keyed by it). */
const SOURCE = Symbol('jest-fast-ci.source');

export interface Origin {
  /** How the node that ran it is named (nodeLabel: "node 2"). */
  readonly node: string;
  /** It ran on another node; this node's Jest was handed its outcome. */
  readonly replayed: true;
}

type Marked = { [ORIGIN]?: Origin };

/** The node that ran the file of this `Test` or result, when another node did; undefined for this node's own files. */
export function originOf(testOrResult: object | null | undefined): Origin | undefined {
  return testOrResult == null ? undefined : (testOrResult as Marked)[ORIGIN];
}

export function markOrigin<T extends object>(target: T, node: string): T {
  Object.defineProperty(target, ORIGIN, { value: { node, replayed: true } satisfies Origin, enumerable: false, configurable: true });
  return target;
}

interface TestLike {
  readonly path: string;
  readonly context: { readonly config: { readonly displayName?: { readonly name: string; readonly color?: string } } };
}

/**
 * Another node's file as this node's reporters see it: the same test with
 * the node's name as its project badge, so Jest's own reporters print
 * "PASS  node 2  test/a.test.ts" (a project's own name is kept before it),
 * and marked with its origin.
 */
export function replayedTest<T extends TestLike>(test: T, node: string): T {
  const own = test.context.config.displayName?.name;
  const displayName = { name: own === undefined ? node : `${own} · ${node}`, color: 'gray' };
  const config = { ...test.context.config, displayName };
  const copy = markOrigin({ ...test, context: { ...test.context, config } }, node);
  Object.defineProperty(copy, SOURCE, { value: test, enumerable: false });
  return copy;
}

/** The runner's own Test behind a replayed copy (the Test itself otherwise). */
export function sourceTest<T extends object>(test: T): T {
  return (test as { [SOURCE]?: T })[SOURCE] ?? test;
}
