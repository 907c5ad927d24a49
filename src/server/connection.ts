/**
 * One orchestrator socket: framing, the Phoenix channel semantics (heartbeat,
 * joins, replies, phx_leave, idle timeout) and routing of `enq`, `deq` and
 * `leave` to the run a channel joined. Run state lives in Run, not here.
 */
import debug from 'debug';
import type { RawData, WebSocket } from 'ws';
import { CloseCodes, Events, PHOENIX_TOPIC, PhxEvents, ReplyEvents, TOPIC_PREFIX } from '../protocol/constants';
import { buildIdFromTopic, buildIdProblem, runKeyProblem } from '../protocol/topic';
import type { Message, Ref } from '../protocol/types';
import { closeReason, recoverAddress } from './frames';
import type { Member, NodeLink } from './node-table';
import { parseJoinPayload } from './payloads';
import type { Reply, Run, RunIdentity } from './run';
import type { RunRegistry } from './run-registry';
import type { Outbox } from './outbox';
import type { SocketParams } from './upgrade';

const log = debug('jest-fast-ci:server:connection');
const frames = debug('jest-fast-ci:server:frames');


const OK: Reply = { status: 'ok', response: {} };
const UNMATCHED: Reply = { status: 'error', response: { reason: 'unmatched topic' } };
const LEFT: Reply = { status: 'error', response: { reason: 'this node sent leave; join again to get more files' } };

interface Channel {
  readonly joinRef: Ref;
  readonly run: Run;
  readonly member: Member;
  /** The node sent `leave` on this channel. */
  left: boolean;
}

export interface ConnectionContext {
  readonly registry: RunRegistry;
  readonly params: SocketParams;
  readonly idleTimeoutMs: number;
  /** Where every outgoing frame goes: after the journal records it depends on are on disk. */
  readonly outbox: Outbox;
  /** Called once, when the socket has closed. */
  readonly onClosed: () => void;
}

let nextId = 0;

export class Connection {
  readonly id = ++nextId;
  #ws: WebSocket;
  #ctx: ConnectionContext;
  #channels = new Map<string, Channel>();
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
    if (isBinary) return this.close(CloseCodes.unsupportedData, 'binary frames are not supported; send JSON text frames');
    const raw = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
    const { serializer } = this.#ctx.params;
    let message: Message;
    try {
      message = serializer.decode(raw);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const address = recoverAddress(raw, serializer.vsn);
      frames('#%d <- malformed frame (%d bytes): %s', this.id, raw.length, reason);
      if (address === undefined) return this.close(CloseCodes.invalidPayload, `malformed frame: ${reason}`);
      return this.#reply(address, { status: 'error', response: { reason } });
    }
    frames('#%d <- %s %s ref=%j (%d bytes)', this.id, message.topic, message.event, message.ref, raw.length);
    try {
      this.#route(message);
    } catch (error) {
      // A bug or a failed journal write must cost one reply, never the server.
      log('#%d: %s %s failed: %s', this.id, message.topic, message.event, (error as Error).stack ?? error);
      this.#reply(message, { status: 'error', response: { reason: 'internal server error' } });
    }
  }

  #route(message: Message): void {
    const { topic, event } = message;
    if (topic === PHOENIX_TOPIC) return this.#reply(message, event === PhxEvents.heartbeat ? OK : UNMATCHED);
    if (event === PhxEvents.join) return this.#join(message);
    const channel = this.#channels.get(topic);
    if (channel === undefined) {
      this.#runFor(topic)?.record(null, this.#ctx.params.query, message);
      return this.#reply(message, UNMATCHED);
    }
    const { run, member } = channel;
    run.record(member.index, this.#ctx.params.query, message);
    switch (event) {
      case PhxEvents.leave:
        this.#reply(message, OK);
        this.#closeChannel(topic, channel);
        return run.detach(member);
      case Events.enq:
        return this.#reply(message, run.enq(member, message.payload));
      case Events.deq:
        // A left node gets no reconnect grace, so files leased to it now would be stuck until the lease timeout.
        if (channel.left) return this.#reply(message, LEFT);
        return run.deq(member, message.payload, reply => this.#reply(message, reply));
      case Events.files:
        return this.#reply(message, run.checkFiles(member, message.payload));
      case Events.running:
        return this.#reply(message, run.running(member, message.payload));
      case Events.leave: {
        const reply = run.leave(member, message.payload);
        if (reply.status === 'ok') channel.left = true;
        return this.#reply(message, reply);
      }
      default:
        return this.#reply(message, {
          status: 'error',
          response: { reason: `unknown event ${JSON.stringify(event.slice(0, 64))}; expected enq, deq, leave, files or running` },
        });
    }
  }

  #join(message: Message): void {
    const { topic } = message;
    const identity = this.#identityOf(topic);
    if (identity === undefined) return this.#reply(message, UNMATCHED);
    const badName = runKeyProblem(identity.runKey) ?? buildIdProblem(identity.buildId);
    if (badName !== undefined) return this.#reply(message, { status: 'error', response: { reason: `cannot join: ${badName}` } });
    const payload = parseJoinPayload(message.payload);
    if (!payload.ok) return this.#reply(message, { status: 'error', response: { reason: payload.reason } });

    // Phoenix semantics: a second join of a joined topic closes the old channel first.
    const previous = this.#channels.get(topic);
    if (previous !== undefined) {
      this.#closeChannel(topic, previous);
      previous.run.detach(previous.member);
    }
    const opened = this.#ctx.registry.open(identity, this.#ctx.params.meta);
    if (!opened.ok) return this.#reply(message, { status: 'error', response: { reason: opened.reason } });
    const run = opened.run;
    const refused = run.refuseJoin(payload.value);
    if (refused !== undefined) return this.#reply(message, { status: 'error', response: { reason: refused } });

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
    const { member, response } = run.join(payload.value, link);
    channel = { joinRef: message.join_ref, run, member, left: false };
    this.#channels.set(topic, channel);
    run.record(member.index, this.#ctx.params.query, message);
    this.#reply(message, { status: 'ok', response: response as unknown as Record<string, unknown> });
    run.afterJoin(member);
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

  #runFor(topic: string): Run | undefined {
    const identity = this.#identityOf(topic);
    return identity === undefined ? undefined : this.#ctx.registry.find(identity);
  }

  #reply(to: Pick<Message, 'join_ref' | 'ref' | 'topic'>, reply: Reply): void {
    // The reference clients fail loudly on a reply whose event is "error" (NOTES §1); they keep waiting on any other.
    const payload = reply.status === 'error' ? { status: reply.status, response: { event: ReplyEvents.error, ...reply.response } } : reply;
    this.#send({ join_ref: to.join_ref, ref: to.ref, topic: to.topic, event: PhxEvents.reply, payload });
  }

  #send(message: Message): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    const raw = this.#ctx.params.serializer.encode(message);
    frames('#%d -> %s %s ref=%j (%d bytes)', this.id, message.topic, message.event, message.ref, raw.length);
    this.#ctx.outbox.send(this.#ws, raw);
  }

  #resetIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.close(CloseCodes.goingAway, 'idle timeout'), this.#ctx.idleTimeoutMs);
    this.#idle.unref();
  }

  #onClose(code: number, reason: string): void {
    clearTimeout(this.#idle);
    log('#%d: closed %d %s', this.id, code, reason);
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    for (const { run, member } of channels) {
      // Outside any request's try/catch (a journal write can fail): never take the server down.
      try {
        run.detach(member);
      } catch (error) {
        log('#%d: error while detaching from %s: %s', this.id, run.label, (error as Error).message);
      }
    }
    this.#ctx.onClosed();
  }
}
