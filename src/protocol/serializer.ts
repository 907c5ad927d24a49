/**
 * Phoenix channel wire codecs. V1 (vsn 1.0.0, what the reference clients
 * speak) is a JSON object; V2 (vsn 2.0.0) is a JSON array
 * `[join_ref, ref, topic, event, payload]`. Each layout is written once and
 * serves both decoding and finding where to answer a bad frame. Close
 * reasons are kept within the WebSocket limit here too. Pure: no I/O, no
 * timers.
 */
import { FastCiError, ErrorCodes } from '../errors';
import { Limits, VSN_V1, VSN_V2 } from './constants';
import type { Message, Ref } from './types';

export type Vsn = typeof VSN_V1 | typeof VSN_V2;

export interface Serializer {
  readonly vsn: Vsn;
  encode(message: Message): string;
  /** Throws FastCiError(FASTCI_ERR_PROTOCOL) naming what is wrong. */
  decode(raw: string): Message;
  /**
   * Where an error reply to a frame `decode` rejected can go: its topic,
   * ref and join_ref, when it parsed as JSON of this layout and has a ref
   * to answer (else undefined: the client could not match a reply).
   */
  addressOf(raw: string): Pick<Message, 'join_ref' | 'ref' | 'topic'> | undefined;
}

function protocolError(message: string): FastCiError {
  return new FastCiError(ErrorCodes.PROTOCOL, message);
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw protocolError('frame is not valid JSON');
  }
}

/**
 * A ref a reply can carry back: a string of at most Limits.maxRefLength
 * characters or a finite number; null only where `allowNull` (a push, or a
 * frame with no join_ref).
 */
export function isRef(value: unknown, allowNull = true): value is Ref {
  if (value === null) return allowNull;
  return (typeof value === 'string' && value.length <= Limits.maxRefLength) || (typeof value === 'number' && Number.isFinite(value));
}

function checkFields(join_ref: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown): Message {
  if (!isRef(join_ref)) throw protocolError(`join_ref must be a string of at most ${Limits.maxRefLength} characters, an integer or null`);
  if (!isRef(ref)) throw protocolError(`ref must be a string of at most ${Limits.maxRefLength} characters, an integer or null`);
  if (typeof topic !== 'string' || topic === '') throw protocolError('topic must be a non-empty string');
  if (topic.length > Limits.maxTopicLength) throw protocolError(`topic must be at most ${Limits.maxTopicLength} characters`);
  if (typeof event !== 'string' || event === '') throw protocolError('event must be a non-empty string');
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw protocolError('payload must be a JSON object');
  }
  return { join_ref, ref, topic, event, payload };
}

type Fields = [join_ref: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown];

/**
 * A codec from its frame layout: where each field sits in the parsed JSON
 * (undefined: not this layout). `loose` reads the same places from a frame
 * of the wrong size, to answer it.
 */
function codec(vsn: Vsn, layout: (value: unknown, loose?: boolean) => Fields | undefined, shape: string, encode: (message: Message) => string): Serializer {
  return {
    vsn,
    encode,
    decode(raw) {
      const fields = layout(parseJson(raw));
      if (fields === undefined) throw protocolError(shape);
      return checkFields(...fields);
    },
    addressOf(raw) {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        return undefined;
      }
      const [joinRef, ref, topic] = layout(value, true) ?? [];
      // Only a real ref can be answered; one past the limit is not echoed back.
      if (!isRef(ref, false) || typeof topic !== 'string' || topic === '' || topic.length > Limits.maxTopicLength) return undefined;
      return { join_ref: isRef(joinRef) ? joinRef : null, ref, topic };
    },
  };
}

export const v1: Serializer = codec(
  VSN_V1,
  value => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const o = value as Record<string, unknown>;
    return [o.join_ref ?? null, o.ref ?? null, o.topic, o.event, o.payload];
  },
  'a vsn 1.0.0 frame must be a JSON object {topic, event, payload, ref}',
  ({ topic, event, payload, ref, join_ref }) =>
    // V1 has no join_ref slot in the reference server; send it only when set.
    JSON.stringify(join_ref == null ? { topic, event, payload, ref } : { topic, event, payload, ref, join_ref }),
);

export const v2: Serializer = codec(
  VSN_V2,
  (value, loose) => (Array.isArray(value) && (loose === true || value.length === 5) ? (value as Fields) : undefined),
  'a vsn 2.0.0 frame must be a JSON array [join_ref, ref, topic, event, payload]',
  ({ join_ref, ref, topic, event, payload }) => JSON.stringify([join_ref, ref, topic, event, payload]),
);

/** The serializer for a `vsn` query value, or undefined when the version is not supported. */
export function serializerFor(vsn: string | null | undefined): Serializer | undefined {
  if (vsn == null || vsn === '' || vsn === VSN_V1) return v1;
  if (vsn === VSN_V2) return v2;
  return undefined;
}

/** A close frame's reason may be at most 123 bytes (RFC 6455 §5.5). */
const MAX_CLOSE_REASON_BYTES = 123;

/** Trims a close reason to the byte limit without splitting a character. */
export function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out, 'utf8') > MAX_CLOSE_REASON_BYTES) out = out.slice(0, -1);
  return out;
}
