import { resolveConfig, redact } from '../../src/config';
import { detectCi, githubEarlierBuildIds } from '../../src/config/ciEnv';
import { retryRunRequest } from '../../src/client/params';
import { ErrorCodes } from '../../src/errors';

const noGit = () => ({});
const gitAt = () => ({ commit: 'abcdef1234567890', shortCommit: 'abcdef1', branch: 'main', commitMessage: 'msg', authorName: 'A', authorEmail: 'a@x' });

function configError(message: RegExp) {
  return expect.objectContaining({ code: ErrorCodes.CONFIG, message: expect.stringMatching(message) });
}

describe('resolveConfig', () => {
  it('is disabled without a key, so the runner behaves like plain Jest', () => {
    const config = resolveConfig({ env: {}, readGit: noGit });
    expect(config.enabled).toBe(false);
    expect(config.server).toBe('wss://apx.ruby.ci:443');
  });

  it('fills defaults and build metadata from git when not on a known CI', () => {
    const config = resolveConfig({ env: { FAST_CI_SECRET_KEY: 'k' }, readGit: gitAt });
    expect(config).toMatchObject({
      enabled: true,
      runKey: 'jest',
      buildId: expect.stringMatching(/^local-[0-9a-f-]{36}$/),
      buildIdSource: 'fresh',
      commit: 'abcdef1234567890',
      branch: 'main',
      commitMessage: 'msg',
      author: { name: 'A', email: 'a@x' },
      connectTimeoutMs: 15_000,
      fallback: 'auto',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lets FAST_CI_* variables override the CI and the runner options', () => {
    const env = { FAST_CI_SECRET_KEY: 'k', GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '7', GITHUB_SHA: 'sha', FAST_CI_BUILD_ID: 'mine', FAST_CI_BRANCH: 'b' };
    const config = resolveConfig({ env, options: { buildId: 'opt', server: 'ws://127.0.0.1:9' }, readGit: noGit });
    expect(config).toMatchObject({ buildId: 'mine', commit: 'sha', branch: 'b', server: 'ws://127.0.0.1:9' });
  });

  it.each([
    [{ FAST_CI_SERVER: 'apx.ruby.ci:443' }, /FAST_CI_SERVER must use ws:\/\/ or wss:\/\//],
    [{ FAST_CI_SERVER: 'not a url' }, /FAST_CI_SERVER must be a URL with a scheme/],
    [{ FAST_CI_SERVER: 'wss://apx.ruby.ci' }, /must include the port, e\.g\. wss:\/\/apx\.ruby\.ci:443/],
    [{ FAST_CI_SERVER: 'https://apx.ruby.ci:443' }, /must use ws:\/\/ or wss:\/\//],
    [{ FAST_CI_SERVER: 'ws://127.0.0.1:4000/?secret_key=x' }, /must not carry credentials/],
    [{ FAST_CI_SECRET_KEY: '  ' }, /FAST_CI_SECRET_KEY is set but empty/],
    [{ FAST_CI_FALLBACK: 'maybe' }, /FAST_CI_FALLBACK must be "auto" or "off"/],
    [{ FAST_CI_CONNECT_TIMEOUT: '-1' }, /FAST_CI_CONNECT_TIMEOUT must be a positive number of seconds/],
    [{ FAST_CI_NODE_INDEX: '3', FAST_CI_NODE_TOTAL: '3' }, /must be below FAST_CI_NODE_TOTAL \(3\); indexes are 0-based/],
    [{ FAST_CI_SECRET_KEY: 'k', FAST_CI_BUILD_ID: 'has space' }, /the build id must be 1 to 200 characters of letters, digits and \._-:@\/\+ \(got "has space"\)/],
    [{ FAST_CI_RETRY: '9' }, /FAST_CI_RETRY must be from 0 to 5, got 9/],
    [{ FAST_CI_RETRY: 'yes' }, /FAST_CI_RETRY must be a non-negative integer/],
  ])('rejects %j naming the setting and the fix', (env, message) => {
    expect(() => resolveConfig({ env, readGit: noGit })).toThrow(configError(message));
  });

  it('rejects unknown runner options and a key put in jest.config', () => {
    expect(() => resolveConfig({ env: {}, options: { sever: 'ws://x:1' }, readGit: noGit })).toThrow(configError(/Unknown jest-fast-ci runner option "sever"/));
    expect(() => resolveConfig({ env: {}, options: { secretKey: 'k' }, readGit: noGit })).toThrow(configError(/FAST_CI_SECRET_KEY environment variable/));
  });

  it('outside CI, gives every run a fresh build id: a second local run at the same commit never joins the first', () => {
    const first = resolveConfig({ env: { FAST_CI_SECRET_KEY: 'k' }, readGit: gitAt });
    const second = resolveConfig({ env: { FAST_CI_SECRET_KEY: 'k' }, readGit: gitAt });
    expect(first.buildId).not.toBe(second.buildId);
    expect(resolveConfig({ env: { FAST_CI_SECRET_KEY: 'k', FAST_CI_BUILD_ID: 'shared' }, readGit: gitAt })).toMatchObject({ buildId: 'shared', buildIdSource: 'setting' });
  });

  it('on a CI that names no build, uses the short commit, as the reference clients do', () => {
    expect(resolveConfig({ env: { FAST_CI_SECRET_KEY: 'k', JENKINS_URL: 'http://ci' }, readGit: gitAt })).toMatchObject({ buildId: 'abcdef1', buildIdSource: 'commit' });
  });

  it('fails when a key is set on a CI that names no build, outside a git checkout', () => {
    expect(() => resolveConfig({ env: { FAST_CI_SECRET_KEY: 'k', JENKINS_URL: 'http://ci' }, readGit: noGit })).toThrow(configError(/Set FAST_CI_BUILD_ID/));
  });

  it('reads FAST_CI_HEARTBEAT_INTERVAL in seconds', () => {
    expect(resolveConfig({ env: { FAST_CI_HEARTBEAT_INTERVAL: '0.5' }, readGit: noGit }).heartbeatIntervalMs).toBe(500);
    expect(resolveConfig({ env: {}, readGit: noGit }).heartbeatIntervalMs).toBe(30_000);
  });

  it('puts the timings file in rootDir by default, takes a relative FAST_CI_TIMINGS_FILE from there, and turns it off with "off"', () => {
    const at = (env: Record<string, string>, options?: unknown) => {
      const { timingsFile, timingsFileSource } = resolveConfig({ env, options, cwd: '/repo', readGit: noGit });
      return { timingsFile, timingsFileSource };
    };
    expect(at({})).toEqual({ timingsFile: '/repo/.jest-fast-ci-timings.json', timingsFileSource: 'default' });
    expect(at({ FAST_CI_TIMINGS_FILE: 'ci/timings.json' })).toEqual({ timingsFile: '/repo/ci/timings.json', timingsFileSource: 'setting' });
    expect(at({}, { timingsFile: '/shared/t.json' })).toEqual({ timingsFile: '/shared/t.json', timingsFileSource: 'setting' });
    expect(at({ FAST_CI_TIMINGS_FILE: 'off' }, { timingsFile: 'x.json' })).toEqual({ timingsFile: undefined, timingsFileSource: 'setting' });
    expect(() => at({}, { timingsFile: 3 })).toThrow(configError(/The timingsFile runner option must be a path or "off", got 3/));
  });
});

describe('detectCi', () => {
  it('reads GitHub Actions, with the attempt making a re-run a new run', () => {
    expect(detectCi({ GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2', GITHUB_SHA: 's', GITHUB_HEAD_REF: 'feature', GITHUB_REF_NAME: '1/merge' }))
      .toMatchObject({ provider: 'GitHub Actions', buildId: '42-2', commit: 's', branch: 'feature' });
    expect(detectCi({ GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '1' }).buildId).toBe('42');
  });

  it('reads GitLab, converting its 1-based node index', () => {
    expect(detectCi({ GITLAB_CI: 'true', CI_PIPELINE_ID: '9', CI_COMMIT_SHA: 's', CI_COMMIT_REF_NAME: 'main', CI_NODE_INDEX: '1', CI_NODE_TOTAL: '4', CI_COMMIT_AUTHOR: 'Jane Doe <jane@example.com>' }))
      .toMatchObject({ buildId: '9', nodeIndex: 0, nodeTotal: 4, authorName: 'Jane Doe', authorEmail: 'jane@example.com' });
  });

  it('reads CircleCI, Buildkite, Jenkins and generic CI_* variables', () => {
    expect(detectCi({ CIRCLECI: 'true', CIRCLE_WORKFLOW_JOB_ID: 'job', CIRCLE_SHA1: 's', CIRCLE_NODE_INDEX: '2', CIRCLE_NODE_TOTAL: '3' }))
      .toMatchObject({ buildId: 'job', nodeIndex: 2, nodeTotal: 3 });
    expect(detectCi({ BUILDKITE: 'true', BUILDKITE_BUILD_ID: 'b', BUILDKITE_PARALLEL_JOB: '0', BUILDKITE_PARALLEL_JOB_COUNT: '2' }))
      .toMatchObject({ buildId: 'b', nodeIndex: 0, nodeTotal: 2 });
    expect(detectCi({ JENKINS_URL: 'http://j', BUILD_TAG: 'jenkins-x-1', GIT_COMMIT: 'c' })).toMatchObject({ buildId: 'jenkins-x-1', commit: 'c' });
    expect(detectCi({ CI_BUILD_ID: 'g', CI_COMMIT: 'c', CI_BRANCH: 'b' })).toMatchObject({ buildId: 'g', commit: 'c', branch: 'b' });
  });
});

describe("each CI's retry signals", () => {
  it('GitHub Actions: an attempt is a build id of its own, naming the earlier attempts; the same id again is a late node', () => {
    expect(detectCi({ GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '3' })).toMatchObject({
      buildId: '42-3',
      retry: { attempt: 3, again: false, earlierBuildIds: ['42-2', '42'] },
    });
    expect(detectCi({ GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '1' }).retry).toEqual({ attempt: 1, again: false });
    // At most 20 named, attempt 1 always among them.
    const many = githubEarlierBuildIds('7', 50);
    expect(many).toHaveLength(20);
    expect(many.slice(0, 2)).toEqual(['7-49', '7-48']);
    expect(many[many.length - 1]).toBe('7');
  });

  it("GitLab: CI_JOB_RETRY_COUNT when the GitLab sets it, else nothing (a job joining a finished pipeline's run may be a retry)", () => {
    expect(detectCi({ GITLAB_CI: 'true', CI_PIPELINE_ID: '9', CI_JOB_ID: '100' }).retry).toBeUndefined();
    expect(detectCi({ GITLAB_CI: 'true', CI_PIPELINE_ID: '9', CI_JOB_RETRY_COUNT: '1' }).retry).toEqual({ attempt: 2, again: true });
    expect(detectCi({ GITLAB_CI: 'true', CI_PIPELINE_ID: '9', CI_JOB_RETRY_COUNT: '0' }).retry).toEqual({ attempt: 1, again: false });
  });

  it('Buildkite: BUILDKITE_RETRY_COUNT, 0 on the first run', () => {
    expect(detectCi({ BUILDKITE: 'true', BUILDKITE_BUILD_ID: 'b', BUILDKITE_RETRY_COUNT: '0' }).retry).toEqual({ attempt: 1, again: false });
    expect(detectCi({ BUILDKITE: 'true', BUILDKITE_BUILD_ID: 'b', BUILDKITE_RETRY_COUNT: '2' }).retry).toEqual({ attempt: 3, again: true });
    expect(detectCi({ BUILDKITE: 'true', BUILDKITE_BUILD_ID: 'b' }).retry).toBeUndefined();
  });

  it('CircleCI: a rerun is a new workflow (new job ids), so the same job id again is a late container, never a retry', () => {
    expect(detectCi({ CIRCLECI: 'true', CIRCLE_WORKFLOW_JOB_ID: 'job' }).retry).toEqual({ again: false });
  });

  it('Jenkins and unknown CIs say nothing', () => {
    expect(detectCi({ JENKINS_URL: 'http://j', BUILD_TAG: 't' }).retry).toBeUndefined();
    expect(detectCi({ CI_BUILD_ID: 'g' }).retry).toBeUndefined();
  });
});

describe('FAST_CI_RETRY_RUN and the join payload', () => {
  const env = { FAST_CI_SECRET_KEY: 'k' };

  it('defaults to failed, takes all, and refuses anything else with a clear error', () => {
    expect(resolveConfig({ env, readGit: gitAt }).retryRun).toBe('failed');
    expect(resolveConfig({ env: { ...env, FAST_CI_RETRY_RUN: 'all' }, readGit: gitAt }).retryRun).toBe('all');
    expect(resolveConfig({ env, options: { retryRun: 'all' }, readGit: gitAt }).retryRun).toBe('all');
    expect(() => resolveConfig({ env: { ...env, FAST_CI_RETRY_RUN: 'yes' }, readGit: gitAt })).toThrow(configError(/FAST_CI_RETRY_RUN must be "failed" .* or "all" .*got "yes"/));
  });

  it("sends the CI's signals, and the earlier build ids only when the build id is the CI's", () => {
    const github = { ...env, GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2' };
    expect(retryRunRequest(resolveConfig({ env: github, readGit: gitAt }))).toEqual({ mode: 'failed', again: false, earlier: ['42'], attempt: 2 });
    expect(retryRunRequest(resolveConfig({ env: { ...github, FAST_CI_BUILD_ID: 'mine' }, readGit: gitAt }))).toEqual({ mode: 'failed', again: false, attempt: 2 });
    const buildkite = { ...env, BUILDKITE: 'true', BUILDKITE_BUILD_ID: 'b', BUILDKITE_RETRY_COUNT: '1', FAST_CI_RETRY_RUN: 'all' };
    expect(retryRunRequest(resolveConfig({ env: buildkite, readGit: gitAt }))).toEqual({ mode: 'all', again: true, attempt: 2 });
    expect(retryRunRequest(resolveConfig({ env: { ...env, GITLAB_CI: 'true', CI_PIPELINE_ID: '9' }, readGit: gitAt }))).toEqual({ mode: 'failed' });
    // Outside CI every run has a fresh build id: nothing to retry.
    expect(retryRunRequest(resolveConfig({ env, readGit: gitAt }))).toBeUndefined();
  });
});

describe('redact', () => {
  it('removes the key from URLs and text, encoded or not', () => {
    expect(redact('ws://h:1/x?build_id=1&secret_key=s3cr%2Bt&branch=b', 's3cr+t')).toBe('ws://h:1/x?build_id=1&secret_key=[REDACTED]&branch=b');
    expect(redact('key s3cr+t here', 's3cr+t')).toBe('key [REDACTED] here');
  });

  it('finds the parameter by its parsed name, however the name is percent-encoded', () => {
    expect(redact('ws://h:1/x?build_id=1&secret%5Fkey=ab&vsn=2', undefined)).toBe('ws://h:1/x?build_id=1&secret%5Fkey=[REDACTED]&vsn=2');
    expect(redact('ws://h:1/x?%73ecret_key=ab', undefined)).toBe('ws://h:1/x?%73ecret_key=[REDACTED]');
  });
});

describe('redact with a very short key', () => {
  it('still hides the secret_key parameter without mangling the rest', () => {
    expect(redact('ws://h:1/x?secret_key=k&build_id=kb "ok"', 'k')).toBe('ws://h:1/x?secret_key=[REDACTED]&build_id=kb "ok"');
  });
});
