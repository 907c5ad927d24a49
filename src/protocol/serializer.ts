/**
 * Phoenix channel wire codecs. V1 (vsn 1.0.0, what the reference clients
 * speak) is a JSON object; V2 (vsn 2.0.0) is a JSON array
 * `[join_ref, ref, topic, event, payload]`. Pure: no I/O, no timers.
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

export const v1: Serializer = {
  vsn: VSN_V1,
  encode(message) {
    const { topic, event, payload, ref, join_ref } = message;
    // V1 has no join_ref slot in the reference server; send it only when set.
    return JSON.stringify(join_ref == null ? { topic, event, payload, ref } : { topic, event, payload, ref, join_ref });
  },
  decode(raw) {
    const value = parseJson(raw);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw protocolError('a vsn 1.0.0 frame must be a JSON object {topic, event, payload, ref}');
    }
    const o = value as Record<string, unknown>;
    return checkFields(o.join_ref ?? null, o.ref ?? null, o.topic, o.event, o.payload);
  },
};

export const v2: Serializer = {
  vsn: VSN_V2,
  encode({ join_ref, ref, topic, event, payload }) {
    return JSON.stringify([join_ref, ref, topic, event, payload]);
  },
  decode(raw) {
    const value = parseJson(raw);
    if (!Array.isArray(value) || value.length !== 5) {
      throw protocolError('a vsn 2.0.0 frame must be a JSON array [join_ref, ref, topic, event, payload]');
    }
    return checkFields(value[0], value[1], value[2], value[3], value[4]);
  },
};

/** The serializer for a `vsn` query value, or undefined when the version is not supported. */
export function serializerFor(vsn: string | null | undefined): Serializer | undefined {
  if (vsn == null || vsn === '' || vsn === VSN_V1) return v1;
  if (vsn === VSN_V2) return v2;
  return undefined;
}
