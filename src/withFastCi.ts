/**
 * `runner` is a per-project option: with `projects`, Jest ignores it at the
 * root, so every shard would run every file. withFastCi puts the runner in
 * every project (or at the root when there are none) and the reporter in
 * the root's reporters; Jest's 'github-actions' reporter becomes
 * 'jest-fast-ci/github-actions', which annotates each failure once per run.
 *
 * @example
 * // jest.config.js
 * const { withFastCi } = require('jest-fast-ci');
 * module.exports = withFastCi({ projects: [{ displayName: 'api', testMatch: ['<rootDir>/api/**\/*.test.js'] }] });
 */

/** The parts of a Jest config withFastCi reads; everything else is kept as it is. */
export interface JestConfigLike {
  projects?: ReadonlyArray<string | Readonly<Record<string, unknown>>>;
  reporters?: ReadonlyArray<string | readonly [string, unknown]>;
  [option: string]: unknown;
}

const RUNNER = 'jest-fast-ci';
const REPORTER = 'jest-fast-ci/reporter';
/** Jest's github-actions reporter, each failure annotated once per run (reporter/GitHubActionsReporter.ts). */
const GITHUB_ACTIONS = 'jest-fast-ci/github-actions';

function reporterName(reporter: string | readonly [string, unknown]): string {
  return typeof reporter === 'string' ? reporter : reporter[0];
}

/** The config with the runner in every project, the reporter after Jest's own, and 'github-actions' as jest-fast-ci/github-actions. Throws TypeError for a project given as a path, which it cannot change. */
export function withFastCi<T extends JestConfigLike>(config: T): T {
  // Jest's own 'github-actions' would annotate every node's failures on every node: ours hands it this node's only.
  const reporters = (config.reporters ?? ['default']).map(r =>
    reporterName(r) !== 'github-actions' ? r : typeof r === 'string' ? GITHUB_ACTIONS : ([GITHUB_ACTIONS, r[1]] as const),
  );
  const out: JestConfigLike = {
    ...config,
    reporters: reporters.some(r => reporterName(r) === REPORTER) ? reporters : [...reporters, REPORTER],
  };
  if (config.projects === undefined) return { ...out, runner: RUNNER } as unknown as T;
  out.projects = config.projects.map((project, i) => {
    if (typeof project === 'string') {
      throw new TypeError(
        `withFastCi cannot change projects[${i}] (${JSON.stringify(project)}), a path to a config of its own: set runner: "${RUNNER}" in that config, or inline the project here.`,
      );
    }
    return { ...project, runner: RUNNER };
  });
  return out as T;
}
