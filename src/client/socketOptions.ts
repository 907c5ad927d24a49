import type WebSocket from 'isomorphic-ws';
import type { SocketConnectOption } from 'phoenix';
import type { FastCiConfig } from '../config';
import { VSN_V1 } from '../protocol/constants';
import { phoenixCodec } from './codec';
import { connectionParams } from './params';
import { transportWithHandshakeTimeout } from './transportWithHandshakeTimeout';

/**
 * Longest wait for a WebSocket handshake: a server that accepts the TCP
 * connection and then says nothing (stopped, overloaded) must not hold a
 * reconnect attempt open; phoenix retries after the error.
 */
const MAX_HANDSHAKE_MS = 10_000;

/**
 * The phoenix.js Socket's options for this config: `ws` as the transport
 * (each socket it makes recorded in `transports`), the V1 codec, the query
 * parameters, heartbeat and timeouts. `reconnectAfterMs` replaces phoenix's
 * own backoff when given.
 */
export function socketOptions(
  config: FastCiConfig,
  reconnectAfterMs: ((tries: number) => number) | undefined,
  transports: Set<WebSocket>,
): Partial<SocketConnectOption> {
  return {
    // Without an explicit transport phoenix.js silently long-polls on Node.
    transport: transportWithHandshakeTimeout(Math.min(config.connectTimeoutMs, MAX_HANDSHAKE_MS), transports),
    vsn: VSN_V1,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    ...phoenixCodec(config.secretKey),
    params: connectionParams(config),
    timeout: config.connectTimeoutMs,
    ...(reconnectAfterMs ? { reconnectAfterMs } : {}),
    rejoinAfterMs: (tries: number) => [200, 500, 1000, 2000][tries - 1] ?? 5000,
  };
}
