/** Build metadata from a real git repository in a temporary directory. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { git, readGit } from '../../src/config/git';

let dir: string;

function run(...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_SYSTEM: '/dev/null' } }).trim();
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fast-ci-git-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('reads commit, short commit, branch, message and author from the checkout', () => {
  run('init', '-q', '-b', 'feature/login');
  writeFileSync(path.join(dir, 'a.txt'), 'a');
  run('add', 'a.txt');
  run('-c', 'user.name=Ada Lovelace', '-c', 'user.email=ada@example.com', 'commit', '-q', '-m', 'Add the login form\n\nWith a body.');
  const sha = run('rev-parse', 'HEAD');
  expect(readGit(dir)).toEqual({
    commit: sha,
    shortCommit: sha.slice(0, 7),
    branch: 'feature/login',
    commitMessage: 'Add the login form\n\nWith a body.',
    authorName: 'Ada Lovelace',
    authorEmail: 'ada@example.com',
  });
});

it('has no branch on a detached HEAD (as CI checkouts often are)', () => {
  run('init', '-q', '-b', 'main');
  writeFileSync(path.join(dir, 'a.txt'), 'a');
  run('add', 'a.txt');
  run('-c', 'user.name=A', '-c', 'user.email=a@example.com', 'commit', '-q', '-m', 'one');
  run('checkout', '-q', '--detach');
  expect(readGit(dir).branch).toBeUndefined();
  expect(readGit(dir).commit).toBe(run('rev-parse', 'HEAD'));
});

it('is empty outside a repository, and git() is undefined instead of throwing', () => {
  expect(readGit(dir)).toEqual({});
  expect(git(dir, 'rev-parse', 'HEAD')).toBeUndefined();
});
