import { Limits, TOPIC_PREFIX } from './constants';

/** `test_orchestrator:<run_key>-<build_id>` */
export function topicFor(runKey: string, buildId: string): string {
  return `${TOPIC_PREFIX}${runKey}-${buildId}`;
}

/** The build id in a topic, given the run key the connection declared; undefined if the topic does not match. */
export function buildIdFromTopic(topic: string, runKey: string): string | undefined {
  const prefix = `${TOPIC_PREFIX}${runKey}-`;
  if (!topic.startsWith(prefix)) return undefined;
  const buildId = topic.slice(prefix.length);
  return buildId === '' ? undefined : buildId;
}

const BUILD_ID = new RegExp(`^[\\w.:@/+-]{1,${Limits.maxBuildIdLength}}$`);
const RUN_KEY_PATTERN = new RegExp(`^[A-Za-z0-9_.]{1,${Limits.maxRunKeyLength}}$`);

/**
 * Why a build id cannot name a run, or undefined when it can: letters,
 * digits and `._-:@/+`, at most Limits.maxBuildIdLength characters (CI run
 * ids, commits, `<run id>-<attempt>`). No spaces or newlines: build ids go
 * into log lines and file records.
 */
export function buildIdProblem(buildId: string): string | undefined {
  if (BUILD_ID.test(buildId)) return undefined;
  return `the build id must be 1 to ${Limits.maxBuildIdLength} characters of letters, digits and ._-:@/+ (got ${describe(buildId)})`;
}

/** Why a run key cannot name a run, or undefined: letters, digits, `_` and `.`, at most Limits.maxRunKeyLength characters. */
export function runKeyProblem(runKey: string): string | undefined {
  if (RUN_KEY_PATTERN.test(runKey)) return undefined;
  return `the run key must be 1 to ${Limits.maxRunKeyLength} characters of letters, digits, _ and . (got ${describe(runKey)})`;
}

/** A bad value, quoted short and escaped, so a message never carries megabytes or a raw newline. */
function describe(value: string): string {
  return value.length > 40 ? `${value.length} characters starting ${JSON.stringify(value.slice(0, 20))}` : JSON.stringify(value);
}
