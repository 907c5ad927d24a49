/**
 * One orchestrator socket: framing, the Phoenix channel semantics (heartbeat,
 * joins, replies, phx_leave, idle timeout) and routing of `enq`, `deq` and
 * `leave` to the run a channel joined. Run state lives in the run's host
 * (RunHost), not here.
 */
import debug from 'debug';
import type { RawData, WebSocket } from 'ws';
import { CloseCodes, Events, PHOENIX_TOPIC, PhxEvents, TOPIC_PREFIX } from '../../protocol/constants';
import { runPageUrl } from '../dashboard/runView';
import type { ServerMetrics } from '../metrics';
import { buildIdFromTopic, buildIdProblem, runKeyProblem } from '../../protocol/topic';
import type { Message, Ref } from '../../protocol/types';
import { closeReason } from '../../protocol/serializer';
import { parseJoinPayload } from '../../protocol/requests';
import type { NodeLink, RunHost } from '../host/RunHost';
import type { Member } from '../run/runMachine';
import { joinReplyOf, OK, Refusals, refused, replyMessage, replyOf, type Answer } from '../../protocol/replies';
import type { RunRegistry } from '../host/RunRegistry';
import type { RunIdentity } from '../run/runIdentity';
import type { Outbox } from './Outbox';
import type { SocketParams } from './upgrade';

const log = debug('jest-fast-ci:server:connection');
const frames = debug('jest-fast-ci:server:frames');

const UNMATCHED = refused(Refusals.unmatchedTopic);
/** Frames a socket may have waiting for their turn (a client that does not wait for replies). */
const MAX_WAITING_FRAMES = 1_000;

interface Channel {
  readonly joinRef: Ref;
  readonly host: RunHost;
  readonly member: Member;
}

export interface ConnectionContext {
  readonly registry: RunRegistry;
  readonly params: SocketParams;
  readonly idleTimeoutMs: number;
  /** The server's public address (`publicUrl`): join replies carry the run's page. */
  readonly publicUrl: string | undefined;
  /** Counts and latencies for /metrics. */
  readonly metrics: ServerMetrics;
  /** Where every outgoing frame goes: after the journal records it depends on are on disk. */
  readonly outbox: Outbox;
  /** Called once, when the socket has closed. */
  readonly onClosed: () => void;
}

let nextId = 0;

/** Events counted by name in /metrics (anything else is "other": a client must not grow the label set). */
const KNOWN_EVENTS: ReadonlySet<string> = new Set([PhxEvents.leave, ...Object.values(Events)]);

export class Connection {
  readonly id = ++nextId;
  #ws: WebSocket;
  #ctx: ConnectionContext;
  #channels = new Map<string, Channel>();
  /** Frames not handled yet, in the order they came. */
  #inbox: Array<{ data: RawData; isBinary: boolean }> = [];
  #working = false;
  #closed = false;
  #idle: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, ctx: ConnectionContext) {
    this.#ws = ws;
    this.#ctx = ctx;
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('ping', () => this.#resetIdle());
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString()));
    // ws emits 'error' then 'close' (oversized frame, bad UTF-8, reset): log it, the close does the rest.
    ws.on('error', error => log('#%d: %s', this.id, error.message));
    this.#resetIdle();
  }

  /** Closes the socket (server shutdown, idle, garbage). */
  close(code: number, reason: string): void {
    if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING) {
      log('#%d: closing with %d (%s)', this.id, code, reason);
      this.#ws.close(code, closeReason(reason));
    }
  }

  /** Cuts the socket without a closing handshake (a client that does not answer the close frame). */
  terminate(): void {
    this.#ws.terminate();
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    this.#resetIdle();
    if (this.#inbox.length >= MAX_WAITING_FRAMES) {
      return this.close(CloseCodes.policyViolation, `more than ${MAX_WAITING_FRAMES} frames waiting for their replies; wait for replies before sending more`);
    }
    this.#inbox.push({ data, isBinary });
    if (!this.#working) void this.#work();
  }

  /**
   * Handles the socket's frames one at a time, each once the previous one
   * is decided (answered, or a deq held), so one socket's replies go out in
   * the order its frames came, as a client reading them expects.
   */
  async #work(): Promise<void> {
    this.#working = true;
    // Frames that came before a close are still handled (a last deq's results, a leave); only their replies are lost.
    while (this.#inbox.length > 0) {
      const { data, isBinary } = this.#inbox.shift()!;
      try {
        await this.#handle(data, isBinary);
      } catch (error) {
        log('#%d: %s', this.id, (error as Error).stack ?? error);
      }
    }
    this.#working = false;
    if (this.#closed) this.#detachAll();
  }

  async #handle(data: RawData, isBinary: boolean): Promise<void> {
    if (isBinary) return this.close(CloseCodes.unsupportedData, 'binary frames are not supported; send JSON text frames');
    const raw = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
    const { serializer } = this.#ctx.params;
    let message: Message;
    try {
      message = serializer.decode(raw);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const address = serializer.addressOf(raw);
      frames('#%d <- malformed frame (%d bytes): %s', this.id, raw.length, reason);
      if (address === undefined) return this.close(CloseCodes.invalidPayload, `malformed frame: ${reason}`);
      return this.#reply(address, refused(reason));
    }
    frames('#%d <- %j %j ref=%j (%d bytes)', this.id, message.topic, message.event, message.ref, raw.length);
    try {
      await this.#route(message);
    } catch (error) {
      // A bug must cost one reply, never the server.
      log('#%d: %j %j failed: %s', this.id, message.topic, message.event, (error as Error).stack ?? error);
      this.#reply(message, refused(Refusals.internal));
    }
  }

  #route(message: Message): Promise<void> | void {
    const { topic, event } = message;
    if (topic === PHOENIX_TOPIC) return this.#reply(message, event === PhxEvents.heartbeat ? OK : UNMATCHED);
    if (event === PhxEvents.join) return this.#join(message);
    const channel = this.#channels.get(topic);
    if (channel === undefined) {
      const identity = this.#identityOf(topic);
      if (identity !== undefined) this.#ctx.registry.held(identity)?.record(null, this.#ctx.params.query, message);
      return this.#reply(message, UNMATCHED);
    }
    const { host, member } = channel;
    host.record(member.index, this.#ctx.params.query, message);
    const { metrics } = this.#ctx;
    metrics.request(KNOWN_EVENTS.has(event) ? event : 'other');
    const respond = (answer: Answer): void => this.#reply(message, answer);
    switch (event) {
      case PhxEvents.leave:
        this.#reply(message, OK);
        this.#closeChannel(topic, channel);
        return host.detach(member);
      case Events.enq:
        return host.enq(member, message.payload, respond);
      case Events.deq: {
        // Answered after its batch settled: the deq was held (for work, or for the end), by design.
        const started = performance.now();
        let settled = false;
        const done = host.deq(member, message.payload, answer => {
          metrics.deq((performance.now() - started) / 1000, settled);
          respond(answer);
        });
        return done.then(() => void (settled = true));
      }
      case Events.files:
        return host.checkFiles(member, message.payload, respond);
      case Events.running:
        return host.running(member, message.payload, respond);
      case Events.leave:
        return host.leave(member, message.payload, respond);
      default:
        return this.#reply(message, refused(Refusals.unknownEvent(event)));
    }
  }

  async #join(message: Message): Promise<void> {
    const { topic } = message;
    const identity = this.#identityOf(topic);
    if (identity === undefined) return this.#reply(message, UNMATCHED);
    const badName = runKeyProblem(identity.runKey) ?? buildIdProblem(identity.buildId);
    if (badName !== undefined) return this.#reply(message, refused(Refusals.cannotJoin(badName)));
    const payload = parseJoinPayload(message.payload, this.#ctx.registry.maxFilesPerRun);
    if (!payload.ok) return this.#reply(message, refused(payload.reason));

    // Phoenix semantics: a second join of a joined topic closes the old channel first.
    const previous = this.#channels.get(topic);
    if (previous !== undefined) {
      this.#closeChannel(topic, previous);
      previous.host.detach(previous.member);
    }
    const opened = await this.#ctx.registry.open(identity, this.#ctx.params.meta);
    if (!opened.ok) return this.#reply(message, refused(opened.reason));
    const { host } = opened;
    let channel: Channel | undefined;
    const isCurrent = (): boolean => channel !== undefined && this.#channels.get(topic) === channel;
    const link: NodeLink = {
      push: (event, body) => {
        if (isCurrent()) this.#send({ join_ref: message.join_ref, ref: null, topic, event, payload: body });
      },
      supersede: () => {
        if (isCurrent()) this.#closeChannel(topic, channel!);
      },
    };
    await host.join(payload.value, link, result => {
      if ('refused' in result) return this.#reply(message, refused(result.refused));
      // The socket closed while the join was decided: the node is not there after all.
      if (this.#closed) return host.detach(result.member);
      channel = { joinRef: message.join_ref, host, member: result.member };
      this.#channels.set(topic, channel);
      host.record(result.member.index, this.#ctx.params.query, message);
      const { publicUrl } = this.#ctx;
      const runUrl = publicUrl === undefined ? undefined : runPageUrl(publicUrl, identity.runKey, identity.buildId, this.#ctx.params.key.index);
      this.#send(replyMessage(message, joinReplyOf({ ...result.joined, ...(runUrl === undefined ? {} : { runUrl }) })));
    }, buildIds => this.#ctx.registry.earlierAttempt(identity, buildIds), () => this.#ctx.registry.quarantined(identity));
  }

  /** Sends phx_close for the channel (with its join_ref, as Phoenix does) and forgets it. */
  #closeChannel(topic: string, channel: Channel): void {
    this.#channels.delete(topic);
    this.#send({ join_ref: channel.joinRef, ref: channel.joinRef, topic, event: PhxEvents.close, payload: {} });
  }

  #identityOf(topic: string): RunIdentity | undefined {
    const declared = this.#ctx.params.runKey;
    let runKey = declared;
    let buildId: string | undefined;
    if (declared !== undefined) {
      buildId = buildIdFromTopic(topic, declared);
    } else if (topic.startsWith(TOPIC_PREFIX)) {
      // No run_key param: the run key is what precedes the first '-'.
      const rest = topic.slice(TOPIC_PREFIX.length);
      const dash = rest.indexOf('-');
      if (dash > 0 && dash < rest.length - 1) [runKey, buildId] = [rest.slice(0, dash), rest.slice(dash + 1)];
    }
    if (runKey === undefined || buildId === undefined) return undefined;
    return { keyHash: this.#ctx.params.key.hash, runKey, buildId };
  }

  #reply(to: Pick<Message, 'join_ref' | 'ref' | 'topic'>, answer: Answer): void {
    if (answer.kind === 'refused') this.#ctx.metrics.refused('request');
    this.#send(replyMessage(to, replyOf(answer)));
  }

  #send(message: Message): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    const raw = this.#ctx.params.serializer.encode(message);
    frames('#%d -> %j %j ref=%j (%d bytes)', this.id, message.topic, message.event, message.ref, raw.length);
    this.#ctx.outbox.send(this.#ws, raw);
  }

  #resetIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.close(CloseCodes.goingAway, 'idle timeout'), this.#ctx.idleTimeoutMs);
    this.#idle.unref();
  }

  #onClose(code: number, reason: string): void {
    this.#closed = true;
    clearTimeout(this.#idle);
    log('#%d: closed %d %j', this.id, code, reason);
    // The channels go once the frames that came before the close are handled.
    if (!this.#working) this.#detachAll();
    this.#ctx.onClosed();
  }

  #detachAll(): void {
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    for (const { host, member } of channels) host.detach(member);
  }
}
