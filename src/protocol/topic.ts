import { TOPIC_PREFIX } from './constants';

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
