/**
 * Build metadata from the CI's own variables. Pure: takes the environment as
 * a plain object so every provider can be tested without touching
 * process.env. The first variable that is set (non-empty) wins.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export interface CiInfo {
  buildId?: string;
  commit?: string;
  branch?: string;
  commitMessage?: string;
  authorName?: string;
  authorEmail?: string;
  /** 0-based index of this shard among `nodeTotal`, when the CI says. Used only by the fallback. */
  nodeIndex?: number;
  nodeTotal?: number;
  /** Which CI the values came from, for the start-up line. */
  provider: string;
  /** What the CI says about this job being a retry; absent when it says nothing. */
  retry?: CiRetry;
}

/**
 * A CI's retry signals. A retried job either keeps the build id (GitLab's
 * and Buildkite's retried jobs: the orchestrator sees the finished run
 * joined again) or gets a new one that names the earlier (GitHub's
 * `<run_id>-<attempt>`).
 */
export interface CiRetry {
  /** This job's attempt, 1 for the first, when the CI says. */
  attempt?: number;
  /** A retry of a job of the same build id (true), a first attempt (false), or the CI cannot say (absent). */
  again?: boolean;
  /** Build ids of the earlier attempts, newest first, when each attempt has its own. */
  earlierBuildIds?: string[];
}

/** Most earlier attempts named (the protocol's MAX_EARLIER_ATTEMPTS); the first attempt is always among them. */
const MAX_EARLIER = 20;

/** GitHub's build ids of the attempts before `attempt`, newest first: `<run_id>-<n>` … `<run_id>-2`, then `<run_id>` (attempt 1 has no suffix). */
export function githubEarlierBuildIds(runId: string, attempt: number): string[] {
  const ids: string[] = [];
  for (let n = attempt - 1; n >= 2 && ids.length < MAX_EARLIER - 1; n -= 1) ids.push(`${runId}-${n}`);
  return attempt > 1 ? [...ids, runId] : [];
}

/** A retry count (0 on the first run) as the CI's retry signals. */
function fromRetryCount(count: number | undefined): CiRetry | undefined {
  return count === undefined ? undefined : { attempt: count + 1, again: count > 0 };
}

function first(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

function int(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** "Jane Doe <jane@example.com>" → name and email. */
function splitAuthor(value: string | undefined): { name?: string; email?: string } {
  if (value === undefined) return {};
  const match = /^(.*?)\s*<([^>]*)>\s*$/.exec(value);
  return match ? { name: match[1] || undefined, email: match[2] || undefined } : { name: value };
}

export function detectCi(env: Env): CiInfo {
  if (env.GITHUB_ACTIONS === 'true') {
    // A re-run of a workflow keeps GITHUB_RUN_ID: the attempt makes it a new run,
    // otherwise the re-run would join the finished one and run nothing.
    const attempt = int(env.GITHUB_RUN_ATTEMPT);
    const runId = first(env, 'GITHUB_RUN_ID');
    return {
      provider: 'GitHub Actions',
      buildId: runId && attempt !== undefined && attempt > 1 ? `${runId}-${attempt}` : runId,
      // Each attempt is a run of its own, so the same build id joined again is a late node, never a retry.
      retry: { ...(attempt === undefined ? {} : { attempt }), again: false, ...(runId && attempt !== undefined && attempt > 1 ? { earlierBuildIds: githubEarlierBuildIds(runId, attempt) } : {}) },
      commit: first(env, 'GITHUB_SHA'),
      // On pull requests GITHUB_REF_NAME is "123/merge"; the head ref is the branch.
      branch: first(env, 'GITHUB_HEAD_REF', 'GITHUB_REF_NAME'),
      authorName: first(env, 'GITHUB_ACTOR'),
    };
  }
  if (env.GITLAB_CI === 'true') {
    const author = splitAuthor(first(env, 'CI_COMMIT_AUTHOR'));
    const index = int(env.CI_NODE_INDEX);
    return {
      provider: 'GitLab CI',
      buildId: first(env, 'CI_PIPELINE_ID'),
      commit: first(env, 'CI_COMMIT_SHA'),
      branch: first(env, 'CI_COMMIT_REF_NAME', 'CI_COMMIT_BRANCH'),
      commitMessage: first(env, 'CI_COMMIT_MESSAGE'),
      authorName: author.name,
      authorEmail: author.email,
      // GitLab's CI_NODE_INDEX is 1-based.
      nodeIndex: index !== undefined && index > 0 ? index - 1 : undefined,
      nodeTotal: int(env.CI_NODE_TOTAL),
      // A retried job keeps CI_PIPELINE_ID. GitLab's documented variables say nothing of retries;
      // CI_JOB_RETRY_COUNT (proposed upstream) is read when a GitLab sets it.
      ...(int(env.CI_JOB_RETRY_COUNT) === undefined ? {} : { retry: fromRetryCount(int(env.CI_JOB_RETRY_COUNT)) }),
    };
  }
  if (env.CIRCLECI === 'true') {
    return {
      provider: 'CircleCI',
      // Parallel containers of one job share the job id; CIRCLE_BUILD_NUM is the older name.
      buildId: first(env, 'CIRCLE_WORKFLOW_JOB_ID', 'CIRCLE_BUILD_NUM'),
      commit: first(env, 'CIRCLE_SHA1'),
      branch: first(env, 'CIRCLE_BRANCH', 'CIRCLE_TAG'),
      authorName: first(env, 'CIRCLE_USERNAME'),
      nodeIndex: int(env.CIRCLE_NODE_INDEX),
      nodeTotal: int(env.CIRCLE_NODE_TOTAL),
      // A rerun (from failed, or of failed tests) is a new workflow with new job ids and no variable
      // naming the earlier one: a new run. The same job id joined again is a late container.
      retry: { again: false },
    };
  }
  if (env.BUILDKITE === 'true') {
    return {
      provider: 'Buildkite',
      buildId: first(env, 'BUILDKITE_BUILD_ID'),
      commit: first(env, 'BUILDKITE_COMMIT'),
      branch: first(env, 'BUILDKITE_BRANCH'),
      commitMessage: first(env, 'BUILDKITE_MESSAGE'),
      authorName: first(env, 'BUILDKITE_BUILD_AUTHOR'),
      authorEmail: first(env, 'BUILDKITE_BUILD_AUTHOR_EMAIL'),
      nodeIndex: int(env.BUILDKITE_PARALLEL_JOB),
      nodeTotal: int(env.BUILDKITE_PARALLEL_JOB_COUNT),
      // A retried job keeps BUILDKITE_BUILD_ID; BUILDKITE_RETRY_COUNT is 0 on its first run.
      ...(int(env.BUILDKITE_RETRY_COUNT) === undefined ? {} : { retry: fromRetryCount(int(env.BUILDKITE_RETRY_COUNT)) }),
    };
  }
  if (env.JENKINS_URL !== undefined || env.JENKINS_HOME !== undefined) {
    return {
      provider: 'Jenkins',
      buildId: first(env, 'BUILD_TAG', 'BUILD_ID'),
      commit: first(env, 'GIT_COMMIT'),
      branch: first(env, 'BRANCH_NAME', 'GIT_BRANCH'),
    };
  }
  return {
    provider: first(env, 'CI_BUILD_ID', 'CI_COMMIT', 'CI_BRANCH') ? 'generic CI_* variables' : 'local',
    buildId: first(env, 'CI_BUILD_ID'),
    commit: first(env, 'CI_COMMIT', 'CI_COMMIT_SHA'),
    branch: first(env, 'CI_BRANCH'),
    commitMessage: first(env, 'CI_COMMIT_MESSAGE'),
    nodeIndex: int(env.CI_NODE_INDEX),
    nodeTotal: int(env.CI_NODE_TOTAL),
  };
}
