import type { FastCiConfig } from '../config';
import { Extensions } from '../protocol/constants';
import type { JoinPayload, RetryRunRequest } from '../protocol/types';

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

/**
 * The join payload's `retry_run` (extension): how this CI job relates to
 * earlier attempts of its build, so the server can make a retried job
 * re-run only what failed. A fresh local build id is never joined again.
 */
export function retryRunRequest(config: FastCiConfig): RetryRunRequest | undefined {
  if (config.buildIdSource === 'fresh') return undefined;
  const { attempt, again, earlierBuildIds } = config.ciRetry;
  return {
    mode: config.retryRun,
    ...(again === undefined ? {} : { again }),
    ...(earlierBuildIds.length === 0 ? {} : { earlier: [...earlierBuildIds] }),
    ...(attempt === undefined ? {} : { attempt }),
  };
}

/**
 * The channel's join payload. `accepts`: this node runs parts of files
 * (the parts extension) unless `acceptsParts` is false; servers without
 * the extension ignore the key. Only the first join may make the run a
 * retry: a node that rejoins after the run finished is no retried job.
 */
export function joinPayload(config: FastCiConfig, node: { workers: number; acceptsParts?: boolean; warm?: readonly string[] }, isFirstJoin: boolean): JoinPayload {
  // `cancel`: this client drops files the server no longer wants; servers without the extension ignore the key.
  // `warm`: the files this node's Jest cache holds; servers without the extension ignore it too.
  const accepts = {
    accepts: node.acceptsParts === false ? [Extensions.cancel] : [Extensions.parts, Extensions.cancel],
    ...(node.warm === undefined || node.warm.length === 0 ? {} : { warm: [...node.warm] }),
    // `shard`: the CI's name for this node, so logs and the page use it; servers without the extension ignore it.
    ...(config.nodeIndex === undefined ? {} : { shard: config.nodeIndex }),
  };
  const retryRun = isFirstJoin ? retryRunRequest(config) : undefined;
  return retryRun === undefined
    ? { node_id: config.nodeId, workers: node.workers, ...accepts }
    : { node_id: config.nodeId, workers: node.workers, ...accepts, retry_run: retryRun };
}
