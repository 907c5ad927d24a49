import { withFastCi } from '../src';

describe('withFastCi', () => {
  it('puts the runner in every project and the reporter after the others, keeping everything else', () => {
    const config = withFastCi({ verbose: true, reporters: ['default', ['jest-junit', { outputDirectory: 'out' }]], projects: [{ displayName: 'api', testMatch: ['<rootDir>/api/**'] }, { displayName: 'web' }] });
    expect(config).toEqual({
      verbose: true,
      reporters: ['default', ['jest-junit', { outputDirectory: 'out' }], 'jest-fast-ci/reporter'],
      projects: [
        { displayName: 'api', testMatch: ['<rootDir>/api/**'], runner: 'jest-fast-ci' },
        { displayName: 'web', runner: 'jest-fast-ci' },
      ],
    });
  });

  it('puts the runner at the root when there are no projects, and adds the reporter once', () => {
    expect(withFastCi({ reporters: ['default', 'jest-fast-ci/reporter'] })).toEqual({ reporters: ['default', 'jest-fast-ci/reporter'], runner: 'jest-fast-ci' });
    expect(withFastCi({})).toEqual({ reporters: ['default', 'jest-fast-ci/reporter'], runner: 'jest-fast-ci' });
  });

  it("puts jest-fast-ci/github-actions in place of Jest's github-actions reporter, with its options", () => {
    expect(withFastCi({ reporters: ['default', 'github-actions'] }).reporters).toEqual(['default', 'jest-fast-ci/github-actions', 'jest-fast-ci/reporter']);
    expect(withFastCi({ reporters: [['github-actions', { silent: false }]] }).reporters).toEqual([['jest-fast-ci/github-actions', { silent: false }], 'jest-fast-ci/reporter']);
  });

  it('refuses a project given as a path, saying what to do instead', () => {
    expect(() => withFastCi({ projects: ['<rootDir>/packages/a'] })).toThrow(
      new TypeError('withFastCi cannot change projects[0] ("<rootDir>/packages/a"), a path to a config of its own: set runner: "jest-fast-ci" in that config, or inline the project here.'),
    );
  });
});
