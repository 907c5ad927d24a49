/**
 * Fuzz helpers: a seeded PRNG, a generator of hostile frames that knows
 * what the server must answer to each (docs/protocol.md, "Errors"), and a
 * raw ws socket that checks every answer against that expectation.
 */
import WebSocket from 'ws';
import type { OrchestratorServer } from '../../src/server';
import { pendingEntry } from '../../src/protocol/entries';
import { passed } from './helpers';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(items: ReadonlyArray<readonly [number, T]>): T {
    const total = items.reduce((sum, [w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [w, value] of items) {
      x -= w;
      if (x < 0) return value;
    }
    return items[items.length - 1][1];
  }
}

export type Vsn = '1.0.0' | '2.0.0';
type Ref = string | number;

/** Encodes as JSON, then swaps the marker string for a literal that JSON.stringify cannot write (1e400 parses as Infinity). */
const INFINITY = '\u0000INF\u0000';
function toJson(value: unknown): string {
  return JSON.stringify(value).split(JSON.stringify(INFINITY)).join('1e400');
}

/** What the server must do with one frame. */
export interface Expect {
  /** A reply to this ref is owed (unless the socket was closed by an earlier frame, or `mayHold`). */
  ref?: Ref;
  /** Required reply status; 'any' is ok or error-with-reason. */
  status?: 'ok' | 'error' | 'any';
  /** The error reason must contain this. */
  reason?: string;
  /** A deq the server may legitimately hold (no reply while other nodes hold the files). */
  mayHold?: boolean;
  /** The server may close the socket on this frame, with one of these codes. */
  closes?: number[];
  /** ... and must. */
  mustClose?: boolean;
  /** ws itself refuses this frame, and closes without a reason (only the code). */
  noReason?: boolean;
}

export interface Frame extends Expect {
  kind: string;
  data: string | Buffer;
  binary?: boolean;
  /** Send as two fragments (a continuation frame). */
  fragmented?: boolean;
}

export interface GenContext {
  rng: Rng;
  vsn: Vsn;
  /** The topic of the real run; sockets with its key never join it, so every frame there must be 'unmatched topic'. */
  realTopic: string;
  sameKeyAsReal: boolean;
  /** Topics this socket may have joined (a join may have been refused). */
  joined: Set<string>;
  /** Topics fuzz sockets join (shared by all of them, so runs see several nodes). */
  topicPool: readonly string[];
  maxFrameBytes: number;
  maxFilesPerRun: number;
  /** Whether frames that close the socket may be sent (most sockets send none, so that all their replies are checked). */
  mayClose: boolean;
  nextRef(): number;
}

const NASTY_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '1',
  '../../etc/passwd',
  'a\u0000b',
  '\u202e\u0301é漢字🙂',
  '"\\\n\t',
  '\ud800',
  'x'.repeat(300),
];

export function randomString(rng: Rng): string {
  if (rng.chance(0.4)) return rng.pick(NASTY_STRINGS);
  const n = rng.int(0, 24);
  let s = '';
  for (let i = 0; i < n; i += 1) s += String.fromCharCode(rng.chance(0.9) ? rng.int(32, 126) : rng.int(0, 0xffff));
  return s;
}

/** Any JSON value, including the ones each field must refuse. */
export function randomValue(rng: Rng, depth = 0): unknown {
  const kind = rng.int(0, depth > 2 ? 7 : 9);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1, 2 ** 31, -(2 ** 53), 1.5, 1e300, -0.0001, INFINITY]);
    case 3:
      return rng.int(-5, 5000);
    case 4:
    case 5:
      return randomString(rng);
    case 6:
      return rng.pick(['pending', 'passed', 'failed', 'skipped', 'PASSED']);
    case 7:
      return {};
    case 8:
      return Array.from({ length: rng.int(0, 4) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i -= 1) o[randomString(rng)] = randomValue(rng, depth + 1);
      return o;
    }
  }
}

export function deepArray(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels);
}

function deepObject(levels: number): string {
  return '{"a":'.repeat(levels) + '{}' + '}'.repeat(levels);
}

export function testId(rng: Rng): string {
  return rng.weighted<() => string>([
    [6, () => `file-${rng.int(0, 120)}.test.ts`],
    [2, () => randomString(rng)],
    [1, () => 'y'.repeat(rng.pick([4096, 4097]))],
  ])();
}

/** A result or pending entry with 0-3 mutations; `breakIt` guarantees the entry is invalid. */
export function mutatedEntry(rng: Rng, breakIt = false): unknown {
  const entry: Record<string, unknown> = rng.chance(0.5) ? { ...pendingEntry(rng.int(0, 5000)) } : { ...passed() };
  if (rng.chance(0.1)) return randomValue(rng);
  for (let i = rng.int(0, 3); i > 0; i -= 1) {
    const field = rng.pick(['file_status', 'test_count', 'test_counters', 'run_time', '1', '2', 'description', '__proto__', 'extra']);
    if (rng.chance(0.2)) delete entry[field];
    else entry[field] = rng.chance(0.1) ? JSON.parse(deepArray(rng.int(10, 500))) : randomValue(rng);
  }
  if (breakIt) entry.file_status = rng.pick(['done', '', null, 7, INFINITY]);
  return entry;
}

function entryMap(rng: Rng, count: number, breakIt = false): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (let i = 0; i < count; i += 1) map[testId(rng)] = mutatedEntry(rng, breakIt);
  return map;
}

/** More distinct files than a run may have. */
function tooManyFiles(rng: Rng, count: number): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (let i = 0; i < count; i += 1) map[`over-${i}.test.ts`] = rng.chance(0.9) ? pendingEntry() : mutatedEntry(rng);
  return map;
}

/** A ref the server must echo exactly: integers, floats, negatives, strings of every sort. */
function oddRef(ctx: GenContext): Ref {
  const n = ctx.nextRef();
  return ctx.rng.weighted<() => Ref>([
    [6, () => n],
    [6, () => String(n)],
    [1, () => n + 0.25],
    [1, () => -n],
    [1, () => 1e15 + n],
    // Strings up to the server's 64-character limit (src/protocol/constants.ts Limits.maxRefLength).
    [1, () => `${n}-\u00e9\ud83d\ude42-${'r'.repeat(ctx.rng.int(0, 40))}`],
    [1, () => `${n}"\\\n`],
  ])();
}

/** A ref the server cannot answer: the frame must close the socket with 1007 if it is also malformed. */
function badRef(rng: Rng): unknown {
  return rng.pick<unknown>([{ r: 1 }, [1], true, false, INFINITY, {}]);
}

interface Fields {
  join_ref: unknown;
  ref: unknown;
  topic: unknown;
  event: unknown;
  payload: unknown;
}

/** The frame text for a vsn; `omit` drops V1 keys (V1 has named fields, V2 only positions). */
function encode(vsn: Vsn, f: Fields, omit: ReadonlyArray<keyof Fields> = []): string {
  if (vsn === '2.0.0') return toJson([f.join_ref, f.ref, f.topic, f.event, f.payload]);
  const o: Record<string, unknown> = {};
  for (const k of ['topic', 'event', 'payload', 'ref', 'join_ref'] as const) if (!omit.includes(k)) o[k] = f[k];
  return toJson(o);
}

function topicFor(ctx: GenContext): string {
  return ctx.rng.weighted<() => string>([
    [3, () => ctx.rng.pick(ctx.topicPool)],
    [2, () => ctx.realTopic],
    [1, () => 'phoenix'],
    [1, () => ctx.rng.pick(['test_orchestrator:', 'test_orchestrator:jest-', 'test_orchestrator:nodash', 'rooms:lobby', 'test_orchestrator:jest-__proto__'])],
    [1, () => `test_orchestrator:jest-${randomString(ctx.rng)}`],
  ])();
}

/** A topic this socket has joined, if any; else a pool topic (the frame will be unmatched). */
function joinedTopic(ctx: GenContext): string {
  const joined = [...ctx.joined];
  return joined.length > 0 && ctx.rng.chance(0.85) ? ctx.rng.pick(joined) : ctx.rng.pick(ctx.topicPool);
}

function joinPayload(rng: Rng): unknown {
  return rng.weighted<() => unknown>([
    [4, () => ({})],
    [3, () => ({ node_id: `fz-${rng.int(0, 30)}`, workers: rng.int(1, 8) })],
    [3, () => ({ node_id: randomValue(rng), workers: randomValue(rng) })],
    [1, () => ({ node_id: 'n'.repeat(rng.pick([256, 257])) })],
    [1, () => ({ workers: rng.pick([0, 1024, 1025, 2.5, INFINITY, '4']) })],
  ])();
}

/** Fills a frame up to `bytes` with a string field. */
function padded(build: (pad: string) => string, bytes: number): string {
  const base = Buffer.byteLength(build(''));
  return build('p'.repeat(Math.max(0, bytes - base)));
}

type Gen = (ctx: GenContext) => Frame[];
/** Marks a generator whose frames always close the socket. */
const CLOSES = true;

/** Frames the server must answer on a joined or unjoined topic, given what it can know. */
function routed(ctx: GenContext, ref: Ref, topic: string, event: string, payload: unknown, kind: string): Frame {
  const f: Fields = { join_ref: String(ctx.nextRef()), ref, topic, event, payload };
  const data = encode(ctx.vsn, f);
  const onReal = topic === ctx.realTopic && ctx.sameKeyAsReal;
  const maybeJoined = ctx.joined.has(topic);
  let expect: Expect;
  if (topic === 'phoenix') expect = { status: event === 'heartbeat' ? 'ok' : 'error', reason: event === 'heartbeat' ? undefined : 'unmatched topic' };
  else if (event === 'phx_join') expect = { status: onReal ? 'ok' : 'any' };
  else if (onReal || !maybeJoined) expect = { status: 'error', reason: 'unmatched topic' };
  // Unknown event: 'unknown event …' on a joined channel, 'unmatched topic' if the join was refused.
  else if (!['enq', 'deq', 'leave', 'phx_leave'].includes(event)) expect = { status: 'error' };
  else expect = { status: 'any', mayHold: event === 'deq' };
  return { kind, data, ref, ...expect };
}

const GENERATORS: ReadonlyArray<readonly [number, Gen, boolean?]> = [
  // Well-formed frames, each of which must be answered.
  [6, ctx => [routed(ctx, oddRef(ctx), 'phoenix', 'heartbeat', {}, 'heartbeat')]],
  [2, ctx => [routed(ctx, oddRef(ctx), 'phoenix', randomString(ctx.rng) || 'x', {}, 'phoenix-unknown')]],
  [
    5,
    ctx => {
      const topic = ctx.rng.pick(ctx.topicPool);
      const frame = routed(ctx, oddRef(ctx), topic, 'phx_join', joinPayload(ctx.rng), 'join');
      ctx.joined.add(topic);
      return [frame];
    },
  ],
  [
    2,
    ctx => {
      // A join flood: many joins of the same and of other topics, most of them refused past the run limit.
      const frames: Frame[] = [];
      for (let i = ctx.rng.int(5, 40); i > 0; i -= 1) {
        const topic = ctx.rng.chance(0.5) ? ctx.rng.pick(ctx.topicPool) : `test_orchestrator:jest-flood-${ctx.rng.int(0, 1000)}`;
        frames.push(routed(ctx, oddRef(ctx), topic, 'phx_join', ctx.rng.chance(0.7) ? {} : joinPayload(ctx.rng), 'join-flood'));
        ctx.joined.add(topic);
      }
      return frames;
    },
  ],
  [
    6,
    ctx => {
      const breakIt = ctx.rng.chance(0.5);
      const payload = ctx.rng.weighted<() => unknown>([
        [6, () => ({ tests: entryMap(ctx.rng, ctx.rng.int(0, 5), breakIt) })],
        [1, () => ({ tests: randomValue(ctx.rng) })],
        [1, () => ({ tests: tooManyFiles(ctx.rng, ctx.maxFilesPerRun + 1) })],
        [1, () => ({ files: [] })],
      ])();
      return [routed(ctx, oddRef(ctx), joinedTopic(ctx), 'enq', payload, 'enq')];
    },
  ],
  [
    6,
    ctx => {
      const payload = ctx.rng.chance(0.1) ? tooManyFiles(ctx.rng, ctx.maxFilesPerRun + 1) : entryMap(ctx.rng, ctx.rng.int(0, 4), ctx.rng.chance(0.5));
      return [routed(ctx, oddRef(ctx), joinedTopic(ctx), 'deq', payload, 'deq')];
    },
  ],
  [
    3,
    ctx => {
      const event = ctx.rng.pick(['leave', 'phx_leave', 'ENQ', 'deq_request', 'phx_reply', 'phx_close', randomString(ctx.rng) || 'y']);
      const topic = joinedTopic(ctx);
      const frame = routed(ctx, oddRef(ctx), topic, event, ctx.rng.chance(0.8) ? {} : { x: randomValue(ctx.rng, 3) }, 'event');
      if (event === 'phx_leave') ctx.joined.delete(topic);
      return [frame];
    },
  ],
  [
    4,
    // Frames on the real run's topic, never joined by this socket: each must be 'unmatched topic' and change nothing.
    ctx => {
      const event = ctx.rng.pick(['enq', 'deq', 'leave', 'phx_leave', 'deq_request']);
      const payload = event === 'enq' ? { tests: entryMap(ctx.rng, 3) } : event === 'deq' ? { 'file-1.test.ts': passed() } : {};
      return [routed(ctx, oddRef(ctx), ctx.sameKeyAsReal ? ctx.realTopic : topicFor(ctx), event, payload, 'other-run')];
    },
  ],
  [
    2,
    ctx => {
      // A frame with a ref but null ref: valid, answered with a null ref (nothing to match), never a close.
      const f: Fields = { join_ref: null, ref: null, topic: 'phoenix', event: 'heartbeat', payload: {} };
      return [{ kind: 'null-ref', data: encode(ctx.vsn, f), status: 'any' }];
    },
  ],

  // Wrong types in each field, with a ref the server can still answer.
  [
    5,
    ctx => {
      const ref = oddRef(ctx);
      const which = ctx.rng.pick(['payload', 'event', 'join_ref'] as const);
      const f: Fields = { join_ref: null, ref, topic: topicFor(ctx), event: 'deq', payload: {} };
      let reason: string;
      if (which === 'payload') {
        f.payload = ctx.rng.pick<unknown>([null, 'results', 7, [], [{}], true, INFINITY]);
        reason = 'payload must be a JSON object';
      } else if (which === 'event') {
        f.event = ctx.rng.pick<unknown>(['', null, 3, {}, ['deq'], false]);
        reason = 'event must be a non-empty string';
      } else {
        f.join_ref = ctx.rng.pick<unknown>([{}, [], true, INFINITY]);
        reason = 'join_ref must be a string of at most 64 characters, an integer or null';
      }
      return [{ kind: `bad-${which}`, data: encode(ctx.vsn, f), ref, status: 'error', reason }];
    },
  ],
  [
    2,
    ctx => {
      // V1 with the payload left out; V2 with too few or too many elements (a ref and topic still readable).
      const ref = oddRef(ctx);
      if (ctx.vsn === '1.0.0') {
        const data = encode(ctx.vsn, { join_ref: null, ref, topic: 'phoenix', event: 'heartbeat', payload: undefined }, ['payload']);
        return [{ kind: 'v1-no-payload', data, ref, status: 'error', reason: 'payload must be a JSON object' }];
      }
      const extra = ctx.rng.pick([[], ['heartbeat'], ['heartbeat', {}, 'x', 'y']]);
      return [{ kind: 'v2-length', data: toJson(['1', ref, 'phoenix', ...extra]), ref, status: 'error', reason: 'a vsn 2.0.0 frame must be a JSON array' }];
    },
  ],
  [
    1,
    ctx => {
      // The numbers JSON.stringify cannot write: 1e400 is Infinity, refused wherever a finite number is required.
      const ref = oddRef(ctx);
      const payload = ctx.rng.chance(0.5) ? { workers: INFINITY } : { tests: { 'a.test.ts': { ...pendingEntry(), run_time: INFINITY } } };
      const topic = joinedTopic(ctx);
      const event = 'workers' in payload ? 'phx_join' : 'enq';
      if (event === 'phx_join') ctx.joined.add(topic);
      return [{ ...routed(ctx, ref, topic, event, payload, 'infinity'), status: 'error' }];
    },
  ],

  // Frames the server cannot answer: it must close with a code and a reason.
  [
    3,
    ctx => {
      const f: Fields = { join_ref: null, ref: oddRef(ctx), topic: 'phoenix', event: 'heartbeat', payload: { a: randomString(ctx.rng) } };
      const text = encode(ctx.vsn, f);
      const data = ctx.rng.weighted<() => string>([
        [4, () => text.slice(0, ctx.rng.int(0, text.length - 1))],
        [1, () => randomString(ctx.rng).replace(/^\s*[-0-9"tfn[{]/, '#')],
        [1, () => `${text}x`],
        [1, () => text.replace(/"/g, "'")],
      ])();
      return [{ kind: 'bad-json', data, closes: [1007], mustClose: true }];
    },
    CLOSES,
  ],
  [
    2,
    ctx => {
      // No ref to answer (missing, or of a type that is not a ref) on a frame that is also malformed.
      const f: Fields = { join_ref: null, ref: badRef(ctx.rng), topic: 'phoenix', event: 'heartbeat', payload: ctx.rng.pick<unknown>([7, 'x', null]) };
      if (ctx.rng.chance(0.3)) f.payload = {};
      if (ctx.rng.chance(0.3)) {
        f.ref = oddRef(ctx);
        f.topic = ctx.rng.pick<unknown>(['', null, 5, {}, ['phoenix']]);
      }
      return [{ kind: 'unanswerable', data: encode(ctx.vsn, f), closes: [1007], mustClose: true }];
    },
    CLOSES,
  ],
  [
    1,
    ctx => {
      // The other serializer's shape, or a bare JSON value.
      const f: Fields = { join_ref: '1', ref: oddRef(ctx), topic: 'phoenix', event: 'heartbeat', payload: {} };
      const data = ctx.rng.pick([encode(ctx.vsn === '1.0.0' ? '2.0.0' : '1.0.0', f), 'null', '7', '"frame"', 'true']);
      return [{ kind: 'wrong-container', data, closes: [1007], mustClose: true }];
    },
    CLOSES,
  ],
  [
    1,
    ctx => {
      const bytes = Buffer.alloc(ctx.rng.int(0, 64));
      for (let i = 0; i < bytes.length; i += 1) bytes[i] = ctx.rng.int(0, 255);
      const data = ctx.rng.chance(0.3) ? Buffer.from(encode(ctx.vsn, { join_ref: null, ref: 1, topic: 'phoenix', event: 'heartbeat', payload: {} })) : bytes;
      return [{ kind: 'binary', data, binary: true, closes: [1003], mustClose: true }];
    },
    CLOSES,
  ],
  [
    1,
    ctx => {
      // A text frame that is not UTF-8: ws refuses it before the server sees it.
      const good = Buffer.from(`["1","${ctx.nextRef()}","phoenix","heartbeat",{"a":"`);
      const data = Buffer.concat([good, Buffer.from(ctx.rng.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]])), Buffer.from('"}]')]);
      return [{ kind: 'bad-utf8', data, closes: [1007], mustClose: true, noReason: true }];
    },
    CLOSES,
  ],

  // Size and depth.
  [
    2,
    ctx => {
      const ref = oddRef(ctx);
      const over = ctx.mayClose && ctx.rng.chance(0.4);
      const target = over ? ctx.maxFrameBytes + ctx.rng.int(1, 4096) : ctx.maxFrameBytes - ctx.rng.int(0, 512);
      const where = ctx.rng.pick(['event', 'node_id', 'test id', 'ref', 'payload'] as const);
      const joinRef = String(ctx.nextRef());
      const poolTopic = ctx.rng.pick(ctx.topicPool);
      const enqTopic = joinedTopic(ctx);
      const build = (pad: string): string => {
        switch (where) {
          case 'event':
            return encode(ctx.vsn, { join_ref: joinRef, ref, topic: 'phoenix', event: `heartbeat${pad}`, payload: {} });
          case 'node_id':
            return encode(ctx.vsn, { join_ref: joinRef, ref, topic: poolTopic, event: 'phx_join', payload: { node_id: pad } });
          case 'test id':
            return encode(ctx.vsn, { join_ref: joinRef, ref, topic: enqTopic, event: 'enq', payload: { tests: { [pad]: pendingEntry() } } });
          case 'ref':
            return encode(ctx.vsn, { join_ref: joinRef, ref: `${ref}${pad}`, topic: 'phoenix', event: 'heartbeat', payload: {} });
          default:
            return encode(ctx.vsn, { join_ref: joinRef, ref, topic: 'phoenix', event: 'heartbeat', payload: { big: pad } });
        }
      };
      const data = padded(build, target);
      if (over) return [{ kind: `huge-over-${where}`, data, closes: [1009], mustClose: true, noReason: true }];
      // A ref over 64 characters is never echoed: the socket is closed instead.
      if (where === 'ref') return [{ kind: 'huge-ref', data, closes: [1007], mustClose: true }];
      // Under the limit: answered like any frame. An unknown event, a node_id or a test id that long is refused;
      // a huge payload string is fine.
      const parsed = JSON.parse(data) as Record<string, unknown> | unknown[];
      const echo = (Array.isArray(parsed) ? parsed[1] : parsed.ref) as Ref;
      return [{ kind: `huge-under-${where}`, data, ref: echo, status: where === 'payload' ? 'ok' : 'error' }];
    },
  ],
  [
    2,
    ctx => {
      const ref = oddRef(ctx);
      const levels = ctx.rng.pick([1_000, 10_000, 30_000]);
      const where = ctx.rng.pick(ctx.mayClose ? (['payload', 'entry', 'frame', 'ref', 'object'] as const) : (['payload', 'entry', 'object'] as const));
      const jr = JSON.stringify(String(ctx.nextRef()));
      const r = JSON.stringify(ref);
      const v2 = (refText: string, topic: string, event: string, payload: string): string =>
        ctx.vsn === '2.0.0' ? `[${jr},${refText},${JSON.stringify(topic)},"${event}",${payload}]` : `{"join_ref":${jr},"ref":${refText},"topic":${JSON.stringify(topic)},"event":"${event}","payload":${payload}}`;
      switch (where) {
        case 'payload':
          // Parses (V8's JSON.parse is not recursive), then fails the shape check; a parser that gave up would mean 1007.
          return [{ kind: 'deep-payload', data: v2(r, 'phoenix', 'heartbeat', deepArray(levels)), ref, status: 'error', closes: [1007] }];
        case 'entry': {
          const topic = joinedTopic(ctx);
          // Refused either way: the first entry is not an object (or the topic is not joined).
          const payload = `{"a.test.ts":${deepArray(Math.min(levels, 10_000))},"b.test.ts":{"x":${deepObject(5_000)}}}`;
          return [{ kind: 'deep-entry', data: v2(r, topic, 'deq', payload), ref, status: 'error', closes: [1007] }];
        }
        case 'object':
          return [{ kind: 'deep-object', data: v2(r, 'phoenix', 'heartbeat', `{"x":${deepObject(Math.min(levels, 8_000))}}`), ref, status: 'ok', closes: [1007] }];
        case 'ref':
          return [{ kind: 'deep-ref', data: v2(deepArray(levels), 'phoenix', 'heartbeat', '{}'), closes: [1007], mustClose: true }];
        default:
          return [{ kind: 'deep-frame', data: deepArray(levels), closes: [1007], mustClose: true }];
      }
    },
  ],
  [
    1,
    ctx => {
      // A heartbeat split over a continuation frame: reassembled by ws, answered like any other.
      const ref = oddRef(ctx);
      return [{ kind: 'fragmented', data: encode(ctx.vsn, { join_ref: null, ref, topic: 'phoenix', event: 'heartbeat', payload: {} }), fragmented: true, ref, status: 'ok' }];
    },
  ],
];

/** One to forty frames of one kind (a burst of joins for the flood kind). */
export function generate(ctx: GenContext): Frame[] {
  const gens = ctx.mayClose ? GENERATORS : GENERATORS.filter(([, , closes]) => closes !== CLOSES);
  return ctx.rng.weighted(gens.map(([weight, gen]) => [weight, gen] as const))(ctx);
}

/** A decoded frame from the server, either serializer. */
export interface Received {
  ref: unknown;
  topic: unknown;
  event: unknown;
  payload: unknown;
}

function decodeReceived(raw: string, vsn: Vsn): Received {
  const value = JSON.parse(raw) as unknown;
  if (vsn === '2.0.0') {
    const [, ref, topic, event, payload] = value as unknown[];
    return { ref, topic, event, payload };
  }
  const { ref, topic, event, payload } = value as Record<string, unknown>;
  return { ref, topic, event, payload };
}

const refKey = (ref: unknown): string => JSON.stringify(ref);

export interface SocketReport {
  frames: number;
  /** Replies checked against their frame's expectation. */
  checked: number;
  problems: string[];
  /** The server closed the socket with this code. */
  closedBy?: number;
}

/**
 * A raw ws socket that sends fuzz frames and then checks the server's
 * answers against their expectations. Every frame from the server is checked
 * for a non-null object payload; every reply for ok, or error with a reason.
 */
export class FuzzSocket {
  readonly ws: WebSocket;
  readonly vsn: Vsn;
  readonly sent: Frame[] = [];
  readonly problems: string[] = [];
  readonly replies = new Map<string, Received>();
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<boolean>;
  #selfClosed = false;
  #sentinelWaiters = new Map<string, () => void>();

  constructor(server: OrchestratorServer, query: string, vsn: Vsn) {
    this.vsn = vsn;
    this.ws = new WebSocket(`${server.url}/test_orchestrators/socket/websocket?${query}`);
    this.ws.on('error', () => undefined);
    this.opened = new Promise(resolve => {
      this.ws.once('open', () => resolve(true));
      this.ws.once('close', () => resolve(false));
      this.ws.once('unexpected-response', (_req, res) => {
        res.resume();
        this.problems.push(`upgrade refused with HTTP ${res.statusCode}`);
        resolve(false);
      });
    });
    this.closed = new Promise(resolve => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data, isBinary) => this.#onMessage(data.toString(), isBinary));
  }

  #onMessage(raw: string, isBinary: boolean): void {
    if (isBinary) return void this.problems.push('the server sent a binary frame');
    let message: Received;
    try {
      message = decodeReceived(raw, this.vsn);
    } catch {
      return void this.problems.push(`the server sent a frame that does not decode: ${raw.slice(0, 200)}`);
    }
    const { ref, event, payload } = message;
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      this.problems.push(`the server sent a frame without an object payload: ${raw.slice(0, 200)}`);
    }
    if (event !== 'phx_reply') return;
    const reply = payload as { status?: unknown; response?: { reason?: unknown } };
    const ok = reply.status === 'ok' && typeof reply.response === 'object' && reply.response !== null;
    const error = reply.status === 'error' && typeof reply.response?.reason === 'string' && reply.response.reason !== '';
    if (!ok && !error) this.problems.push(`a reply is neither ok nor an error with a reason: ${raw.slice(0, 200)}`);
    if (ref === null) return;
    const key = refKey(ref);
    if (this.replies.has(key)) this.problems.push(`two replies to ref ${key.slice(0, 80)}`);
    this.replies.set(key, message);
    this.#sentinelWaiters.get(key)?.();
  }

  send(frame: Frame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.sent.push(frame);
    if (frame.fragmented) {
      // Cut the bytes, not the string, so a character split across the fragments is still one character.
      const bytes = Buffer.from(frame.data);
      const cut = bytes.length >> 1;
      this.ws.send(bytes.subarray(0, cut), { binary: false, fin: false });
      this.ws.send(bytes.subarray(cut), { binary: false, fin: true });
    } else {
      this.ws.send(frame.data, { binary: frame.binary === true });
    }
  }

  /** Cuts the socket (a client that vanishes). */
  cut(): void {
    this.#selfClosed = true;
    this.ws.terminate();
  }

  /** Sends a frame and waits for the reply to `ref`; undefined when the socket closed or nothing came in time. */
  async request(frame: unknown[], timeoutMs: number): Promise<Received | undefined> {
    const key = refKey(frame[1]);
    const answered = new Promise<Received | undefined>(resolve => this.#sentinelWaiters.set(key, () => resolve(this.replies.get(key))));
    if (this.ws.readyState !== WebSocket.OPEN) return undefined;
    this.ws.send(toJson(frame));
    let timer: NodeJS.Timeout | undefined;
    const reply = await Promise.race([
      answered,
      this.closed.then(() => undefined),
      new Promise<undefined>(resolve => (timer = setTimeout(() => resolve(undefined), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.#sentinelWaiters.delete(key);
    return reply;
  }

  /**
   * Sends a heartbeat and waits for its reply (every earlier reply has come
   * by then: one socket's frames are answered in order) or for the close.
   */
  async settle(ref: string, timeoutMs: number): Promise<'answered' | 'closed' | 'timeout'> {
    const key = refKey(ref);
    const answered = new Promise<'answered'>(resolve => this.#sentinelWaiters.set(key, () => resolve('answered')));
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(this.vsn === '2.0.0' ? toJson([null, ref, 'phoenix', 'heartbeat', {}]) : toJson({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref }));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      answered,
      this.closed.then(() => 'closed' as const),
      new Promise<'timeout'>(resolve => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.#sentinelWaiters.delete(key);
    return outcome;
  }

  /** Checks the answers once the socket is settled; returns what went wrong. */
  async check(outcome: 'answered' | 'closed' | 'timeout' | 'cut'): Promise<SocketReport> {
    const problems = this.problems;
    const describe = (f: Frame): string => `${f.kind} frame ${(typeof f.data === 'string' ? f.data : f.data.toString('hex')).slice(0, 160)}`;
    let closedBy: number | undefined;
    if (outcome === 'timeout') problems.push(`no reply to the closing heartbeat and no close after ${this.sent.length} frames (last: ${describe(this.sent[this.sent.length - 1] ?? ({ kind: 'none', data: '' } as Frame))})`);
    if (outcome === 'closed' && !this.#selfClosed) {
      const { code, reason } = await this.closed;
      closedBy = code;
      const allowed = new Set(this.sent.flatMap(f => f.closes ?? []));
      if (!allowed.has(code)) problems.push(`closed with ${code} (${reason}), which none of the frames sent calls for (${[...allowed].join(', ') || 'none'})`);
      // The server's own closes carry a reason; those ws decides (oversized frame, bad UTF-8) only the code.
      const silent = this.sent.some(f => f.noReason && f.closes?.includes(code));
      if (reason === '' && !silent) problems.push(`closed with ${code} without a reason`);
    }
    if (outcome === 'answered') {
      const killer = this.sent.find(f => f.mustClose);
      if (killer !== undefined) problems.push(`the socket stayed open after a ${describe(killer)}`);
    }
    // On a socket still open, every frame is owed a reply (the closing
    // heartbeat came back, and one socket's frames are answered in order).
    // When the server closed the socket, replies still being decided went
    // with it, as in Phoenix: the client sees the close and sends again; the
    // replies that did come, before the first frame that may close it, must
    // still be right.
    const firstClose = outcome === 'answered' ? this.sent.length : this.sent.findIndex(f => f.closes !== undefined);
    const sentBefore = outcome === 'cut' || outcome === 'timeout' ? [] : this.sent.slice(0, firstClose === -1 ? this.sent.length : firstClose);
    let checked = 0;
    for (const frame of sentBefore) {
      if (frame.ref === undefined) continue;
      const reply = this.replies.get(refKey(frame.ref));
      if (reply === undefined) {
        if (!frame.mayHold && outcome === 'answered') problems.push(`no reply to a ${describe(frame)}`);
        continue;
      }
      checked += 1;
      const payload = reply.payload as { status: string; response: { reason?: string } };
      if (frame.status !== undefined && frame.status !== 'any' && payload.status !== frame.status) {
        problems.push(`expected ${frame.status}, got ${JSON.stringify(payload).slice(0, 200)} to a ${describe(frame)}`);
      } else if (frame.reason !== undefined && !(payload.response.reason ?? '').includes(frame.reason)) {
        problems.push(`expected a reason containing ${JSON.stringify(frame.reason)}, got ${JSON.stringify(payload).slice(0, 200)} to a ${describe(frame)}`);
      }
    }
    if (this.ws.readyState !== WebSocket.CLOSED) this.cut();
    await this.closed;
    return { frames: this.sent.length, checked, problems, closedBy };
  }
}
