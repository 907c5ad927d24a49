/**
 * Errors the package raises on purpose. Each carries a stable `code`
 * (listed in docs/troubleshooting.md) so callers and tests can match on it
 * instead of on wording.
 */
export const ErrorCodes = {
  /** A setting (env variable or runner option) has an invalid value. */
  CONFIG: 'FASTCI_ERR_CONFIG',
  /** The orchestrator refused the WebSocket upgrade (HTTP 403: wrong key or protocol version). */
  REFUSED: 'FASTCI_ERR_REFUSED',
  /** The orchestrator could not be reached (DNS, TCP, TLS, or no answer in time). */
  UNREACHABLE: 'FASTCI_ERR_UNREACHABLE',
  /** A request got no reply in time. */
  TIMEOUT: 'FASTCI_ERR_TIMEOUT',
  /** The orchestrator answered a request with an error reply. */
  SERVER: 'FASTCI_ERR_SERVER',
  /** The connection to the orchestrator was lost and could not be restored. */
  CONNECTION_LOST: 'FASTCI_ERR_CONNECTION_LOST',
  /** A frame or payload does not have the shape the protocol requires. */
  PROTOCOL: 'FASTCI_ERR_PROTOCOL',
  /** The orchestrator handed out a test id this node cannot map to a file. */
  UNKNOWN_TEST: 'FASTCI_ERR_UNKNOWN_TEST',
  /** The node joined a run that had already finished with failures, and ran nothing (its CI says it is a first attempt, not a retry). */
  RUN_FINISHED: 'FASTCI_ERR_RUN_FINISHED',
  /** The run's test files differ from the ones this node found (different arguments or config on different shards). */
  FILE_SET: 'FASTCI_ERR_FILE_SET',
  /** Jest's runner and worker packages could not be found from the Jest that is running (the runner cannot load). */
  JEST_NOT_FOUND: 'FASTCI_ERR_JEST_NOT_FOUND',
  /** Another node's outcome (a whole-run report record, a blob file's) could not be used: not JSON, or a path in it outside this rootDir. */
  RECORD: 'FASTCI_ERR_RECORD',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class FastCiError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FastCiError';
    this.code = code;
  }
}

/** Normalizes any thrown value into an Error, keeping FastCiErrors as they are. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}

export function isFastCiError(value: unknown, code?: ErrorCode): value is FastCiError {
  return value instanceof FastCiError && (code === undefined || value.code === code);
}
