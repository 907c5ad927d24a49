/**
 * Client of a FastCI-style orchestrator, on the official phoenix.js Socket.
 *
 * One socket, one channel (`test_orchestrator:<run_key>-<build_id>`). Pushes
 * that the reference server never answers (`enq`, `leave`) still start a
 * phoenix timeout timer, and `socket.disconnect()` does not clear it; every
 * push is tracked so `close()` can cancel them and the Jest process can exit.
 */
import createDebug from 'debug';
import WebSocket from 'isomorphic-ws';
import { Socket, type Channel, type Push } from 'phoenix';
import { redact, type FastCiConfig } from '../config';
import { ErrorCodes, FastCiError } from '../errors';
import { CloseCodes, Events, Extensions, SOCKET_PATH, VSN_V1, type Extension } from '../protocol/constants';
import { topicFor } from '../protocol/topic';
import type { DeqResponse, EnqPayload, EntryMap, FilesPayload, FilesResponse, JoinPayload, JoinResponse } from '../protocol/types';
import { phoenixCodec } from './codec';
import { connectionParams, retryRunRequest } from './params';
import { parseDeqResponse, parseFilesResponse, parseJoinResponse, reasonOf } from '../protocol/replies';

const debug = createDebug('jest-fast-ci:client');

/** A held `deq` may legitimately wait for the slowest file of another node. */
export const DEQ_TIMEOUT_MS = 2 * 60 * 60 * 1000;
/** `leave` is not answered by the reference server; wait this long at most (ours answers in a millisecond). */
const LEAVE_WAIT_MS = 300;
/** `files` is an extension: a server that does not know it never answers, and the check is skipped. */
const FILES_WAIT_MS = 10_000;
/** `running` needs no answer; ours comes in a millisecond. */
const RUNNING_WAIT_MS = 10_000;
/**
 * HTTP answers to the upgrade that no retry will change: wrong key, wrong
 * URL, over the connection limit. Others (502, 503 from a proxy or a server
 * shutting down) are retried until the connect timeout.
 */
const FINAL_HTTP_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 429]);
/**
 * Close codes after which the same frames would be refused again: resending
 * them after a reconnect would loop forever (unsupported or invalid data,
 * frame too big).
 */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCodes.unsupportedData, CloseCodes.invalidPayload, CloseCodes.tooBig]);
/**
 * Longest wait for a WebSocket handshake: a server that accepts the TCP
 * connection and then says nothing (stopped, overloaded) must not hold a
 * reconnect attempt open; phoenix retries after the error.
 */
const MAX_HANDSHAKE_MS = 10_000;

export type PushListener = (payload: unknown) => void;
export type FatalListener = (error: FastCiError) => void;

export interface ClientOptions {
  /** Files this node runs at once; sent in the join payload to size batches. */
  workers: number;
  /** This node can run parts of files (it has no `testNamePattern` of its own to keep). Default true. */
  acceptsParts?: boolean;
  /** Reconnect backoff, injectable for tests. Default: phoenix's own. */
  reconnectAfterMs?: (tries: number) => number;
  /** How long a `deq` may wait for its reply. Default DEQ_TIMEOUT_MS (2 h). */
  deqTimeoutMs?: number;
}

interface PendingDeq {
  results: EntryMap;
  /** Undefined while the channel is down: the rejoin sends it. */
  push: Push | undefined;
  resolve: (response: DeqResponse) => void;
  reject: (error: Error) => void;
}

export class OrchestratorClient {
  readonly #config: FastCiConfig;
  readonly #options: ClientOptions;
  readonly #topic: string;
  #socket: Socket | undefined;
  #channel: Channel | undefined;
  #joined = false;
  #closed = false;
  #fatal: FastCiError | undefined;
  #lostTimer: NodeJS.Timeout | undefined;
  #pendingDeq: PendingDeq | undefined;
  readonly #openPushes = new Set<Push>();
  /** What the server's last join reply said it offers (Extensions). */
  #extensions: ReadonlySet<string> = new Set();
  /** Every WebSocket phoenix made for this client and that has not closed yet. */
  readonly #transports = new Set<WebSocket>();
  readonly #fatalListeners = new Set<FatalListener>();
  readonly #pushListeners = new Map<string, Set<PushListener>>();
  readonly #rejoinListeners = new Set<(response: JoinResponse) => void>();

  constructor(config: FastCiConfig, options: ClientOptions) {
    if (!config.secretKey) throw new TypeError('OrchestratorClient needs a config with a secret key');
    this.#config = config;
    this.#options = options;
    this.#topic = topicFor(config.runKey, config.buildId);
  }

  /** The server URL as it is safe to print. */
  get server(): string {
    return redact(this.#config.server, this.#config.secretKey);
  }

  get topic(): string {
    return this.#topic;
  }

  /**
   * Opens the socket and joins the run's topic. Rejects within the connect
   * timeout with FASTCI_ERR_REFUSED (HTTP 403: wrong key), FASTCI_ERR_SERVER
   * (join refused) or FASTCI_ERR_UNREACHABLE.
   */
  connect(): Promise<JoinResponse> {
    if (this.#socket) throw new Error('connect() was already called');
    const config = this.#config;
    const timeoutS = config.connectTimeoutMs / 1000;
    const socket = new Socket(`${config.server}${SOCKET_PATH}`, {
      // Without an explicit transport phoenix.js silently long-polls on Node.
      transport: transportWithHandshakeTimeout(Math.min(config.connectTimeoutMs, MAX_HANDSHAKE_MS), this.#transports),
      vsn: VSN_V1,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      ...phoenixCodec(config.secretKey),
      params: connectionParams(config),
      timeout: config.connectTimeoutMs,
      ...(this.#options.reconnectAfterMs ? { reconnectAfterMs: this.#options.reconnectAfterMs } : {}),
      rejoinAfterMs: (tries: number) => [200, 500, 1000, 2000][tries - 1] ?? 5000,
    });
    this.#socket = socket;
    debug('connecting to %s (topic %s)', this.server, this.#topic);

    return new Promise<JoinResponse>((resolve, reject) => {
      let lastError = 'no answer';
      let settled = false;
      const settle = (error: FastCiError | undefined, response?: JoinResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (error) {
          this.#teardown();
          reject(error);
        } else {
          resolve(response!);
        }
      };
      const deadline = setTimeout(() => {
        settle(new FastCiError(ErrorCodes.UNREACHABLE, `Could not reach the orchestrator at ${this.server} within ${timeoutS}s (${lastError}). Check FAST_CI_SERVER and that the server is up.`));
      }, config.connectTimeoutMs);

      socket.onError((error: unknown) => {
        lastError = describeSocketError(error, config.secretKey);
        const status = Number(/Unexpected server response: (\d{3})/.exec(lastError)?.[1]);
        if (FINAL_HTTP_STATUSES.has(status) && !this.#joined) {
          // A server that is up and says no to this key or URL: retrying or
          // falling back to a local run would only hide a configuration error.
          settle(refusedError(this.server, status));
        } else if (this.#joined) {
          this.#onConnectionLost(lastError);
        }
      });
      socket.onClose((event: unknown) => {
        const { code, reason } = (event ?? {}) as { code?: number; reason?: string };
        if (code !== undefined && FINAL_CLOSE_CODES.has(code)) {
          const error = new FastCiError(
            ErrorCodes.PROTOCOL,
            `The orchestrator at ${this.server} closed the connection with code ${code}${reason ? ` (${reason})` : ''}: it refused what this node sent${code === 1009 ? ' as too large' : ''}. Check the server's frame limit (maxFrameBytes).`,
          );
          return settled ? this.#fail(error) : settle(error);
        }
      });
      socket.connect();

      // `accepts`: this client runs parts of files (the parts extension); servers without it ignore the key.
      const accepts = this.#options.acceptsParts === false ? {} : { accepts: [Extensions.parts] };
      // Only the first join may make the run a retry: a node that rejoins after the run finished is no retried job.
      const retryRun = retryRunRequest(config);
      const joinPayload = (): JoinPayload =>
        this.#joined || retryRun === undefined
          ? { node_id: config.nodeId, workers: this.#options.workers, ...accepts }
          : { node_id: config.nodeId, workers: this.#options.workers, ...accepts, retry_run: retryRun };
      const channel = socket.channel(this.#topic, joinPayload);
      this.#channel = channel;
      channel.onError((reason: unknown) => {
        // The channel stopped being usable: a close, a connection error, or
        // heartbeats the server no longer answers (a stopped or silent
        // server). Phoenix reconnects; the deadline starts now, whatever
        // the cause, and only a rejoin clears it.
        if (isTransportError(reason)) {
          if (this.#joined) this.#onConnectionLost(describeTransportError((reason as { reason?: unknown }).reason));
          return;
        }
        // An error the server raised on the channel is fatal, as in the reference clients.
        this.#fail(new FastCiError(ErrorCodes.SERVER, `The orchestrator reported an error on ${this.#topic}${formatReason(reason)}.`));
      });
      channel.onClose(() => {
        if (!this.#closed) this.#fail(new FastCiError(ErrorCodes.CONNECTION_LOST, `The orchestrator closed the channel ${this.#topic}.`));
      });
      for (const event of [Events.deqRequest, Events.enqRequest]) {
        channel.on(event, (payload?: unknown) => this.#emitPush(event, payload));
      }

      channel
        .join(config.connectTimeoutMs)
        .receive('ok', (response: unknown) => {
          let join: JoinResponse;
          try {
            join = parseJoinResponse(response);
          } catch (error) {
            return settled ? this.#fail(error as FastCiError) : settle(error as FastCiError);
          }
          this.#extensions = new Set(join.extensions ?? []);
          if (!this.#joined) {
            this.#joined = true;
            debug('joined %s as node %d (%s)', this.#topic, join.node_index, join.state);
            settle(undefined, join);
          } else {
            this.#onRejoined(join);
          }
        })
        .receive('error', (response: unknown) => {
          const error = new FastCiError(ErrorCodes.SERVER, `The orchestrator refused to join ${this.#topic}: ${reasonOf(response)}.`);
          return settled ? this.#fail(error) : settle(error);
        });
    });
  }

  /**
   * Sends the run's files (node 0, or a node asked with `enq_request`).
   * Does not wait: the reference server sends no reply when all is fine. An
   * error reply still fails the node through onFatal.
   */
  enq(tests: EntryMap): void {
    // `retry` is an extension; the reference server ignores it. `backups` goes only to a server that lists it.
    const payload: EnqPayload = this.#config.retry > 0 ? { tests, retry: this.#config.retry } : { tests };
    if (!this.#config.backups && this.supports(Extensions.backups)) payload.backups = false;
    if (this.supports(Extensions.parts)) {
      if (this.#config.nodeTotal !== undefined) payload.nodes = this.#config.nodeTotal;
      if (!this.#config.split) payload.split = false;
      else if (this.#config.noSplit !== undefined) {
        const noSplit = this.#config.noSplit;
        const ids = Object.keys(tests).filter(id => noSplit.test(id));
        if (ids.length > 0) payload.no_split = ids;
      }
    }
    const push = this.#push(Events.enq, payload, this.#config.connectTimeoutMs);
    push
      .receive('ok', () => this.#forget(push))
      .receive('timeout', () => this.#forget(push))
      .receive('error', (response: unknown) => {
        this.#forget(push);
        this.#fail(new FastCiError(ErrorCodes.SERVER, `The orchestrator rejected the test files (enq): ${reasonOf(response)}.`));
      });
  }

  /**
   * Sends the results of the last batch and asks for the next. Resolves with
   * the next batch (empty: nothing more for this node now). If the connection
   * drops while waiting, the same request is sent again after the rejoin;
   * the server ignores results it already has.
   */
  deq(results: EntryMap): Promise<DeqResponse> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (this.#pendingDeq) return Promise.reject(new Error('deq() called while another deq is waiting for its reply'));
    return new Promise<DeqResponse>((resolve, reject) => {
      const pending: PendingDeq = { results, resolve, reject, push: undefined };
      this.#pendingDeq = pending;
      this.#sendDeq(pending);
    });
  }

  /** The server listed this extension in its join reply. */
  supports(extension: Extension): boolean {
    return this.#extensions.has(extension);
  }

  /**
   * Tells the server which files this node is running now (extension
   * `running`): if the node dies, those are the files blamed. Does not wait.
   */
  running(ids: readonly string[]): void {
    if (!this.supports(Extensions.running) || !this.#channel || !this.#joined || this.#fatal || this.#closed) return;
    if (!(this.#channel as unknown as { canPush(): boolean }).canPush()) return;
    const push = this.#push(Events.running, { tests: ids }, RUNNING_WAIT_MS);
    const forget = (): void => this.#forget(push);
    push.receive('ok', forget).receive('error', forget).receive('timeout', forget);
  }

  /**
   * Asks whether the run's file set is the one this node found (extension).
   * Resolves with the answer, or undefined when the server does not give
   * one (the hosted service and older servers do not know the event): the
   * check is then skipped. Never rejects.
   */
  checkFiles(payload: FilesPayload): Promise<FilesResponse | undefined> {
    if (!this.supports(Extensions.files) || !this.#channel || !this.#joined || this.#fatal || this.#closed) return Promise.resolve(undefined);
    const push = this.#push(Events.files, payload, FILES_WAIT_MS);
    return new Promise(resolve => {
      const answer = (response: FilesResponse | undefined) => (): void => {
        this.#forget(push);
        resolve(response);
      };
      push
        .receive('ok', (response: unknown) => {
          let parsed: FilesResponse | undefined;
          try {
            parsed = parseFilesResponse(response);
          } catch (error) {
            debug('ignored a files reply: %s', (error as Error).message);
          }
          answer(parsed)();
        })
        .receive('error', answer(undefined))
        .receive('timeout', answer(undefined));
    });
  }

  /**
   * Tells the server this node is done, then closes. `results` (extension):
   * files finished since the last `deq`, recorded by our server before it
   * hands this node's other files back (the reference server ignores the
   * payload). Never throws.
   */
  async leave(results: EntryMap = {}): Promise<void> {
    if (this.#channel && this.#joined && !this.#fatal && !this.#closed) {
      const push = this.#push(Events.leave, results, LEAVE_WAIT_MS);
      await new Promise<void>(done => {
        push.receive('ok', () => done()).receive('error', () => done()).receive('timeout', () => done());
      });
    }
    await this.close();
  }

  /** Closes the socket and cancels every timer it holds. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = this.#pendingDeq;
    this.#pendingDeq = undefined;
    pending?.reject(this.#fatal ?? new FastCiError(ErrorCodes.CONNECTION_LOST, 'The orchestrator client was closed while waiting for a batch.'));
    await this.#teardown();
  }

  /** Server pushes: `deq_request`, `enq_request`. Returns an unsubscribe function. */
  onPush(event: string, listener: PushListener): () => void {
    let set = this.#pushListeners.get(event);
    if (!set) this.#pushListeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** A fatal error: server error reply, `phx_error`, or a connection that could not be restored. */
  onFatal(listener: FatalListener): () => void {
    this.#fatalListeners.add(listener);
    if (this.#fatal) listener(this.#fatal);
    return () => this.#fatalListeners.delete(listener);
  }

  /** Called after a reconnect with the new join reply (which may list this node's leases). */
  onRejoin(listener: (response: JoinResponse) => void): () => void {
    this.#rejoinListeners.add(listener);
    return () => this.#rejoinListeners.delete(listener);
  }

  #sendDeq(pending: PendingDeq): void {
    // phoenix buffers a push made while the channel is down and flushes it on
    // the rejoin, before our rejoin hook sends it again: the server would get
    // the results twice and lease two batches. Send it from the rejoin only.
    if (!(this.#channel as unknown as { canPush(): boolean }).canPush()) {
      pending.push = undefined;
      return;
    }
    const timeoutMs = this.#options.deqTimeoutMs ?? DEQ_TIMEOUT_MS;
    const push = this.#push(Events.deq, pending.results, timeoutMs);
    pending.push = push;
    push
      .receive('ok', (response: unknown) => {
        this.#forget(push);
        if (this.#pendingDeq !== pending) return;
        this.#pendingDeq = undefined;
        try {
          pending.resolve(parseDeqResponse(response));
        } catch (error) {
          pending.reject(error as Error);
        }
      })
      .receive('error', (response: unknown) => {
        this.#forget(push);
        if (this.#pendingDeq !== pending) return;
        this.#pendingDeq = undefined;
        const error = new FastCiError(ErrorCodes.SERVER, `The orchestrator rejected deq: ${reasonOf(response)}.`);
        pending.reject(error);
        this.#fail(error);
      })
      .receive('timeout', () => {
        this.#forget(push);
        if (this.#pendingDeq !== pending) return;
        this.#pendingDeq = undefined;
        pending.reject(new FastCiError(ErrorCodes.TIMEOUT, `The orchestrator at ${this.server} did not answer deq within ${formatDuration(timeoutMs)}.`));
      });
  }

  #push(event: string, payload: object, timeoutMs: number): Push {
    if (!this.#channel) throw new Error(`${event} before connect()`);
    const push = this.#channel.push(event, payload, timeoutMs);
    this.#openPushes.add(push);
    return push;
  }

  #forget(push: Push): void {
    this.#openPushes.delete(push);
  }

  #onConnectionLost(reason: string): void {
    if (this.#lostTimer || this.#closed || this.#fatal) return;
    debug('connection lost (%s); reconnecting for up to %ds', reason, this.#config.reconnectTimeoutMs / 1000);
    this.#lostTimer = setTimeout(() => {
      this.#fail(new FastCiError(ErrorCodes.CONNECTION_LOST, `Lost the connection to the orchestrator at ${this.server} and could not restore it within ${this.#config.reconnectTimeoutMs / 1000}s (${reason}).`));
    }, this.#config.reconnectTimeoutMs);
  }

  #onRejoined(join: JoinResponse): void {
    debug('rejoined %s as node %d', this.#topic, join.node_index);
    clearTimeout(this.#lostTimer);
    this.#lostTimer = undefined;
    for (const listener of this.#rejoinListeners) listener(join);
    // The reply to a deq sent before the drop may never come: ask again.
    const pending = this.#pendingDeq;
    if (pending) {
      if (pending.push) {
        cancelPush(pending.push);
        this.#forget(pending.push);
      }
      this.#sendDeq(pending);
    }
  }

  #emitPush(event: string, payload: unknown): void {
    debug('push %s', event);
    for (const listener of this.#pushListeners.get(event) ?? []) listener(payload);
  }

  #fail(error: FastCiError): void {
    if (this.#fatal || this.#closed) return;
    this.#fatal = error;
    debug('fatal: %s', error.message);
    const pending = this.#pendingDeq;
    this.#pendingDeq = undefined;
    pending?.reject(error);
    for (const listener of this.#fatalListeners) listener(error);
  }

  #teardown(): Promise<void> {
    clearTimeout(this.#lostTimer);
    this.#lostTimer = undefined;
    for (const push of this.#openPushes) cancelPush(push);
    this.#openPushes.clear();
    // The channel's own timers (its join push, its rejoin schedule) outlive
    // socket.disconnect() too: a join refused with an HTTP 403 would keep Jest alive.
    const channel = this.#channel as unknown as { joinPush?: Push; rejoinTimer?: { reset(): void } } | undefined;
    channel?.rejoinTimer?.reset();
    if (channel?.joinPush) cancelPush(channel.joinPush);
    const socket = this.#socket;
    if (!socket) return Promise.resolve();
    // A socket phoenix gave up on (a heartbeat timeout) waits up to 30 s for
    // a close frame from a server that may be stopped, holding the process:
    // cut it, and any other, once the clean close below has had its chance.
    const cut = (): void => {
      for (const ws of this.#transports) ws.terminate();
      this.#transports.clear();
    };
    return new Promise<void>(resolve => {
      const done = (): void => {
        cut();
        resolve();
      };
      // disconnect() polls for the close for up to ~1.5 s; do not wait longer.
      const cap = setTimeout(done, 2_000);
      socket.disconnect(() => {
        clearTimeout(cap);
        done();
      });
    });
  }
}

/**
 * The `ws` class with a handshake timeout (phoenix constructs the transport
 * itself, with (url, protocols) only), recording each socket it makes in
 * `made` so close() can cut them all.
 */
function transportWithHandshakeTimeout(handshakeTimeout: number, made: Set<WebSocket>): new (endpoint: string) => object {
  return class TimedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { handshakeTimeout });
      made.add(this);
      this.once('close', () => made.delete(this));
    }
  } as unknown as new (endpoint: string) => object;
}

/** phoenix.js keeps these on Push but does not type them. */
function cancelPush(push: Push): void {
  const p = push as unknown as { cancelTimeout?: () => void; cancelRefEvent?: () => void };
  p.cancelTimeout?.();
  p.cancelRefEvent?.();
}

function refusedError(server: string, status: number): FastCiError {
  const why =
    status === 403
      ? 'the secret key is wrong or not accepted there. Check FAST_CI_SECRET_KEY.'
      : status === 404
        ? 'there is no orchestrator socket at that address. FAST_CI_SERVER must be the server\'s base URL (scheme, host and port, no path).'
        : status === 429
          ? 'it has too many connections for this key; lower the number of nodes or raise the server\'s maxConnectionsPerKey.'
          : 'check FAST_CI_SERVER and the server\'s logs.';
  return new FastCiError(ErrorCodes.REFUSED, `The orchestrator at ${server} refused the connection (HTTP ${status}): ${why}`);
}

function formatDuration(ms: number): string {
  return ms >= 60_000 ? `${ms / 60_000} minutes` : `${ms / 1000} s`;
}

/** Phoenix's reason for erroring a channel, as a reader would say it. */
function describeTransportError(reason: unknown): string {
  switch (reason) {
    case 'heartbeat_timeout':
      return 'the orchestrator stopped answering heartbeats';
    case 'connection_closed':
      return 'the connection closed';
    case 'connection_error':
      return 'a connection error';
    default:
      return String(reason ?? 'the connection was lost');
  }
}

function isTransportError(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { source?: unknown }).source === 'transport';
}

function formatReason(reason: unknown): string {
  const text = reasonOf(reason);
  return text === 'no reason given' ? '' : `: ${text}`;
}

function describeSocketError(error: unknown, secret: string | undefined): string {
  const e = error as { message?: unknown; error?: { message?: unknown; code?: unknown } } | undefined;
  const message = e?.error?.message ?? e?.message ?? String(error);
  return redact(String(message), secret);
}
