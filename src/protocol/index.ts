export * from './constants';
export * from './types';
export * from './serializer';
export * from './entries';
export { topicFor, buildIdFromTopic, buildIdProblem, runKeyProblem } from './topic';
export { fileSetDigest, idMap } from './fileSet';
export { parseRetryRunRequest, parseRetryRunReply, MAX_EARLIER_ATTEMPTS } from './retryRun';
export { nodeLabel } from './nodeLabel';
