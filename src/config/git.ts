import { execFileSync } from 'node:child_process';

/** Runs a read-only git command in `cwd`; undefined when git or the repository is missing. */
export function git(cwd: string, ...args: string[]): string | undefined {
  try {
    const out = execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 });
    const value = out.trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

export interface GitInfo {
  commit?: string;
  shortCommit?: string;
  branch?: string;
  commitMessage?: string;
  authorName?: string;
  authorEmail?: string;
}

/** Everything the config may need from git, read once. */
export function readGit(cwd: string): GitInfo {
  const commit = git(cwd, 'rev-parse', 'HEAD');
  if (commit === undefined) return {};
  const branch = git(cwd, 'rev-parse', '--abbrev-ref', 'HEAD');
  const log = git(cwd, 'log', '-1', '--format=%an%x00%ae%x00%B');
  const [authorName, authorEmail, commitMessage] = log?.split('\0') ?? [];
  return {
    commit,
    shortCommit: commit.slice(0, 7),
    branch: branch === 'HEAD' ? undefined : branch,
    commitMessage: commitMessage?.trim() || undefined,
    authorName: authorName || undefined,
    authorEmail: authorEmail || undefined,
  };
}
