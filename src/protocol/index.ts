export * from './constants';
export * from './types';
export * from './serializer';
export * from './entries';
export { topicFor, buildIdFromTopic } from './topic';
