import { resolveConfig, redact } from '../../src/config';
import { detectCi } from '../../src/config/ciEnv';
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
      buildId: 'abcdef1',
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
    [{ FAST_CI_SECRET_KEY: 'k', FAST_CI_BUILD_ID: 'has space' }, /cannot go in a topic/],
    [{ FAST_CI_RETRY: '9' }, /FAST_CI_RETRY must be from 0 to 5, got 9/],
    [{ FAST_CI_RETRY: 'yes' }, /FAST_CI_RETRY must be a non-negative integer/],
  ])('rejects %j naming the setting and the fix', (env, message) => {
    expect(() => resolveConfig({ env, readGit: noGit })).toThrow(configError(message));
  });

  it('rejects unknown runner options and a key put in jest.config', () => {
    expect(() => resolveConfig({ env: {}, options: { sever: 'ws://x:1' }, readGit: noGit })).toThrow(configError(/Unknown jest-fast-ci runner option "sever"/));
    expect(() => resolveConfig({ env: {}, options: { secretKey: 'k' }, readGit: noGit })).toThrow(configError(/FAST_CI_SECRET_KEY environment variable/));
  });

  it('fails when a key is set but no build id can be found', () => {
    expect(() => resolveConfig({ env: { FAST_CI_SECRET_KEY: 'k' }, readGit: noGit })).toThrow(configError(/Set FAST_CI_BUILD_ID/));
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

describe('redact', () => {
  it('removes the key from URLs and text, encoded or not', () => {
    expect(redact('ws://h:1/x?build_id=1&secret_key=s3cr%2Bt&branch=b', 's3cr+t')).toBe('ws://h:1/x?build_id=1&secret_key=[REDACTED]&branch=b');
    expect(redact('key s3cr+t here', 's3cr+t')).toBe('key [REDACTED] here');
  });
});

describe('redact with a very short key', () => {
  it('still hides the secret_key parameter without mangling the rest', () => {
    expect(redact('ws://h:1/x?secret_key=k&build_id=kb "ok"', 'k')).toBe('ws://h:1/x?secret_key=[REDACTED]&build_id=kb "ok"');
  });
});
