import type { FastCiConfig } from '../config';

/**
 * Socket query params, in the order the reference clients send them. Phoenix
 * appends them to the URL in insertion order and adds `vsn` last.
 */
export function connectionParams(config: FastCiConfig): Record<string, string> {
  return {
    build_id: config.buildId,
    run_key: config.runKey,
    secret_key: config.secretKey ?? '',
    branch: config.branch,
    commit: config.commit,
    commit_msg: config.commitMessage,
    author: JSON.stringify({ name: config.author.name ?? '', email: config.author.email ?? '' }),
  };
}
