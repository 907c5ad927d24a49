export { OrchestratorClient, DEQ_TIMEOUT_MS } from './OrchestratorClient';
export type { ClientOptions, FatalListener, PushListener } from './OrchestratorClient';
export { connectionParams } from './params';
