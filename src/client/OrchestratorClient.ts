/**
 * Client of a FastCI-style orchestrator, on the official phoenix.js Socket.
 *
 * One socket, one channel (`test_orchestrator:<run_key>-<build_id>`). Pushes
 * that the reference server never answers (`enq`, `leave`) still start a
 * phoenix timeout timer, and `socket.disconnect()` does not clear it; every
 * push is tracked so `close()` can cancel them and the Jest process can exit.
 */
import createDebug from 'debug';
import type WebSocket from 'isomorphic-ws';
import { Socket, type Channel, type Push } from 'phoenix';
import { redact, type FastCiConfig } from '../config';
import { ErrorCodes, FastCiError } from '../errors';
import { Events, Extensions, SOCKET_PATH, type Extension } from '../protocol/constants';
import { parseDeqResponse, parseFilesResponse, parseJoinResponse, reasonOf } from '../protocol/replies';
import { topicFor } from '../protocol/topic';
import type { DeqResponse, EntryMap, FilesPayload, FilesResponse, JoinResponse } from '../protocol/types';
import { connectionLostError, deqTimeoutError, describeSocketError, describeTransportError, finalCloseError, finalHttpStatus, formatReason, isTransportError, refusedError, unreachableError } from './clientErrors';
import { closeSocket } from './closeSocket';
import { ConnectAttempt } from './ConnectAttempt';
import { enqPayload } from './enqPayload';
import { joinPayload } from './params';
import { cancelChannelTimers, cancelPush, canPush } from './phoenixInternals';
import { socketOptions } from './socketOptions';

const debug = createDebug('jest-fast-ci:client');

/** A held `deq` may legitimately wait for the slowest file of another node. */
export const DEQ_TIMEOUT_MS = 2 * 60 * 60 * 1000;
/** `leave` is not answered by the reference server; wait this long at most (ours answers in a millisecond). */
const LEAVE_WAIT_MS = 300;
/** `files` is an extension: a server that does not know it never answers, and the check is skipped. */
const FILES_WAIT_MS = 10_000;
/** `running` needs no answer; ours comes in a millisecond. */
const RUNNING_WAIT_MS = 10_000;

export type PushListener = (payload: unknown) => void;
export type FatalListener = (error: FastCiError) => void;

export interface ClientOptions {
  /** Files this node runs at once; sent in the join payload to size batches. */
  workers: number;
  /** This node can run parts of files (it has no `testNamePattern` of its own to keep). Default true. */
  acceptsParts?: boolean;
  /** Jest's `--bail[=n]`: sent in `enq` (extension `bail`), so the run stops once n files failed in it. 0: off. */
  bail?: number;
  /** Test ids this node's Jest cache is warm for (runner/cacheRecord.ts): sent in the join payload (extension `warm`). */
  warm?: readonly string[];
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
    const socket = new Socket(`${config.server}${SOCKET_PATH}`, socketOptions(config, this.#options.reconnectAfterMs, this.#transports));
    this.#socket = socket;
    debug('connecting to %s (topic %s)', this.server, this.#topic);

    return new Promise<JoinResponse>((resolve, reject) => {
      const timedOut = (lastError: string): FastCiError => unreachableError(this.server, config.connectTimeoutMs, lastError);
      const attempt = new ConnectAttempt(config.connectTimeoutMs, timedOut, resolve, error => {
        this.#teardown();
        reject(error);
      });
      socket.onError((error: unknown) => this.#socketOnError(attempt, error));
      socket.onClose((event: unknown) => this.#socketOnClose(attempt, event));
      socket.connect();
      const channel = this.#openChannel(socket);
      channel
        .join(config.connectTimeoutMs)
        .receive('ok', (response: unknown) => this.#joinOnOk(attempt, response))
        .receive('error', (response: unknown) => this.#joinOnError(attempt, response));
    });
  }

  /**
   * Sends the run's files (node 0, or a node asked with `enq_request`).
   * Does not wait: the reference server sends no reply when all is fine. An
   * error reply still fails the node through onFatal.
   */
  enq(tests: EntryMap): void {
    const push = this.#push(Events.enq, enqPayload(this.#config, tests, extension => this.supports(extension), this.#options.bail ?? 0), this.#config.connectTimeoutMs);
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
    const channel = this.supports(Extensions.running) ? this.#liveChannel() : undefined;
    if (!channel || !canPush(channel)) return;
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
    if (!this.supports(Extensions.files) || !this.#liveChannel()) return Promise.resolve(undefined);
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
    if (this.#liveChannel()) {
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

  /** The channel, while it is joined and the client has neither failed nor closed. */
  #liveChannel(): Channel | undefined {
    return this.#joined && !this.#fatal && !this.#closed ? this.#channel : undefined;
  }

  #openChannel(socket: Socket): Channel {
    const channel = socket.channel(this.#topic, () => joinPayload(this.#config, this.#options, !this.#joined));
    this.#channel = channel;
    channel.onError((reason: unknown) => this.#channelOnError(reason));
    channel.onClose(() => this.#channelOnClose());
    for (const event of [Events.deqRequest, Events.enqRequest, Events.cancel]) {
      channel.on(event, (payload?: unknown) => this.#emitPush(event, payload));
    }
    return channel;
  }

  #socketOnError(attempt: ConnectAttempt, error: unknown): void {
    const description = describeSocketError(error, this.#config.secretKey);
    attempt.noteError(description);
    const status = finalHttpStatus(description);
    if (status !== undefined && !this.#joined) {
      // A server that is up and says no to this key or URL: retrying or
      // falling back to a local run would only hide a configuration error.
      attempt.reject(refusedError(this.server, status));
    } else if (this.#joined) {
      this.#onConnectionLost(description);
    }
  }

  #socketOnClose(attempt: ConnectAttempt, event: unknown): void {
    const error = finalCloseError(this.server, event);
    if (error) this.#rejectOrFail(attempt, error);
  }

  #channelOnError(reason: unknown): void {
    // The channel stopped being usable: a close, a connection error, or
    // heartbeats the server no longer answers (a stopped or silent
    // server). Phoenix reconnects; the deadline starts now, whatever
    // the cause, and only a rejoin clears it.
    if (isTransportError(reason)) {
      if (this.#joined) this.#onConnectionLost(describeTransportError(reason.reason));
      return;
    }
    // An error the server raised on the channel is fatal, as in the reference clients.
    this.#fail(new FastCiError(ErrorCodes.SERVER, `The orchestrator reported an error on ${this.#topic}${formatReason(reason)}.`));
  }

  #channelOnClose(): void {
    if (!this.#closed) this.#fail(new FastCiError(ErrorCodes.CONNECTION_LOST, `The orchestrator closed the channel ${this.#topic}.`));
  }

  /** Phoenix calls this for the first join and for every rejoin after a reconnect. */
  #joinOnOk(attempt: ConnectAttempt, response: unknown): void {
    let join: JoinResponse;
    try {
      join = parseJoinResponse(response);
    } catch (error) {
      return this.#rejectOrFail(attempt, error as FastCiError);
    }
    this.#extensions = new Set(join.extensions ?? []);
    if (this.#joined) return this.#onRejoined(join);
    this.#joined = true;
    debug('joined %s as node %d (%s)', this.#topic, join.node_index, join.state);
    attempt.resolve(join);
  }

  #joinOnError(attempt: ConnectAttempt, response: unknown): void {
    this.#rejectOrFail(attempt, new FastCiError(ErrorCodes.SERVER, `The orchestrator refused to join ${this.#topic}: ${reasonOf(response)}.`));
  }

  /** Until connect() has settled, its promise carries the error; after, onFatal does. */
  #rejectOrFail(attempt: ConnectAttempt, error: FastCiError): void {
    if (attempt.isSettled) this.#fail(error);
    else attempt.reject(error);
  }

  #sendDeq(pending: PendingDeq): void {
    // phoenix buffers a push made while the channel is down and flushes it on
    // the rejoin, before our rejoin hook sends it again: the server would get
    // the results twice and lease two batches. Send it from the rejoin only.
    if (!canPush(this.#channel!)) {
      pending.push = undefined;
      return;
    }
    const timeoutMs = this.#options.deqTimeoutMs ?? DEQ_TIMEOUT_MS;
    const push = this.#push(Events.deq, pending.results, timeoutMs);
    pending.push = push;
    push
      .receive('ok', (response: unknown) => {
        if (!this.#takeDeq(pending, push)) return;
        try {
          pending.resolve(parseDeqResponse(response));
        } catch (error) {
          pending.reject(error as Error);
        }
      })
      .receive('error', (response: unknown) => {
        if (!this.#takeDeq(pending, push)) return;
        const error = new FastCiError(ErrorCodes.SERVER, `The orchestrator rejected deq: ${reasonOf(response)}.`);
        pending.reject(error);
        this.#fail(error);
      })
      .receive('timeout', () => {
        if (this.#takeDeq(pending, push)) pending.reject(deqTimeoutError(this.server, timeoutMs));
      });
  }

  /** `push` has its answer; true when that answer is for the deq still waiting, which it settles. */
  #takeDeq(pending: PendingDeq, push: Push): boolean {
    this.#forget(push);
    if (this.#pendingDeq !== pending) return false;
    this.#pendingDeq = undefined;
    return true;
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
      this.#fail(connectionLostError(this.server, this.#config.reconnectTimeoutMs, reason));
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
    if (this.#channel) cancelChannelTimers(this.#channel);
    return this.#socket ? closeSocket(this.#socket, this.#transports) : Promise.resolve();
  }
}
