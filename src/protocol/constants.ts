/**
 * Names that appear on the wire. Client and server both import these, so a
 * typo cannot make them disagree.
 */

/** Path of the orchestrator socket; the transport suffix is added by the Phoenix client. */
export const SOCKET_PATH = '/test_orchestrators/socket';
/** Full WebSocket path the server listens on. */
export const WEBSOCKET_PATH = `${SOCKET_PATH}/websocket`;

/** Topic prefix: the full topic is `test_orchestrator:<run_key>-<build_id>`. */
export const TOPIC_PREFIX = 'test_orchestrator:';
/** The run key this package uses (the reference clients use `rspec`, `minitest`, `ex_unit`). */
export const RUN_KEY = 'jest';

/** Phoenix channel lifecycle events. */
export const PhxEvents = {
  join: 'phx_join',
  reply: 'phx_reply',
  error: 'phx_error',
  close: 'phx_close',
  leave: 'phx_leave',
  heartbeat: 'heartbeat',
} as const;

/** The topic Phoenix heartbeats travel on. */
export const PHOENIX_TOPIC = 'phoenix';

/** Orchestrator events. */
export const Events = {
  /** Client → server: node 0 fills the queue. */
  enq: 'enq',
  /** Client → server: results of the last batch, and a request for the next one. */
  deq: 'deq',
  /** Client → server: this node is finished. */
  leave: 'leave',
  /** Client → server (extension): does the run's file set equal the one this node found? */
  files: 'files',
  /** Client → server (extension): the files this node is running now (the suspects if it dies). */
  running: 'running',
  /** Server → client push: send a `deq` now (the queue was filled). */
  deqRequest: 'deq_request',
  /** Server → client push (extension): node 0 is gone before enqueueing; enqueue the run. */
  enqRequest: 'enq_request',
  /** Server → client push (extension `cancel`): stop these files, their results are not wanted (another node's came first, or the run stopped). */
  cancel: 'cancel',
} as const;

/** Reply `event` fields inside `response`. */
export const ReplyEvents = {
  join: 'join',
  deq: 'deq',
  files: 'files',
  /** Every error reply's response carries it, as the reference server's do. */
  error: 'error',
} as const;

/** Run states reported in the join reply. */
export const RunStates = {
  /** Tests are enqueued: start sending `deq`. */
  running: 'running',
  /** Waiting for node 0 to enqueue: wait for a `deq_request` push. */
  waiting: 'waiting',
} as const;

/** Serializer versions: V1 JSON objects (the reference clients), V2 JSON arrays. */
export const VSN_V1 = '1.0.0';
export const VSN_V2 = '2.0.0';

/**
 * Bounds on what one frame may name. A client holding a key must not make
 * the server keep, echo or log megabytes: refs are echoed in every reply,
 * build ids and run keys name runs, journals and log lines.
 */
export const Limits = {
  /** Longest string `ref` or `join_ref` (phoenix.js counts up; the reference clients send integers). */
  maxRefLength: 64,
  /** Longest topic: the prefix, a run key and a build id. */
  maxTopicLength: 512,
  /** Longest build id. */
  maxBuildIdLength: 200,
  /** Longest run key (`jest`, `rspec`, `ex_unit`...). */
  maxRunKeyLength: 64,
} as const;

/** WebSocket close codes the server sends (RFC 6455 §7.4.1). */
export const CloseCodes = {
  goingAway: 1001,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooBig: 1009,
  internalError: 1011,
  serviceRestart: 1012,
} as const;

/**
 * Extensions this server offers, listed in its join reply (`extensions`).
 * Our client uses one only when the server lists it, so against the hosted
 * service or an older server it sends nothing they do not know and waits
 * for no answer that will not come.
 */
export const Extensions = {
  /** The `files` check of the run's file set. */
  files: 'files',
  /** `running`: which files the node is running, so a crash is blamed on the right one. */
  running: 'running',
  /** Whole-run reports over HTTP (src/server/http/reportHttp.ts). */
  reports: 'reports',
  /** Backup copies of a gone or slow node's files on idle nodes; `backups: false` in `enq` turns them off for the run. */
  backups: 'backups',
  /** Parts of a slow file on several nodes at once (protocol/parts.ts); to clients whose join `accepts` them. */
  parts: 'parts',
  /** A retried CI job re-runs what failed (`retry_run` in the join payload and reply); see retryRun.ts. */
  retryRun: 'retry_run',
  /** `cancel` pushes: a backup copy whose original's result came first, or files of a run that stopped, are dropped at once; to clients whose join `accepts` it. */
  cancel: 'cancel',
  /** `bail: n` in `enq`: the run stops once n files failed in it (Jest's `--bail`), and the run can be cancelled (the API); every node is told. */
  bail: 'bail',
  /** `warm` in the join payload: the files this node's Jest cache is warm for; the scheduler hands it those first (scheduling.ts). */
  warm: 'warm',
  /** `shard` in the join payload: the node's CI shard index (FAST_CI_NODE_INDEX or the CI's own), its name in logs and on the page (nodeLabel.ts). */
  shard: 'shard',
  /** `run_url` in the join reply: the run's page, when the server knows its public address (`serve --public-url`). */
  runUrl: 'run_url',
  /** `quarantine` in the join reply: the run key's quarantined tests (file id and full name); their failures do not fail a node (FAST_CI_QUARANTINE). */
  quarantine: 'quarantine',
} as const;

export type Extension = (typeof Extensions)[keyof typeof Extensions];
