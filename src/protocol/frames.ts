/**
 * Helpers for frames the serializer rejected (pure): find where an error
 * reply could go, and keep close reasons inside the WebSocket limit.
 */
import { Limits, VSN_V2 } from './constants';
import { isRef, type Vsn } from './serializer';
import type { Message } from './types';

/** A close frame's reason may be at most 123 bytes (RFC 6455 §5.5). */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * The topic, ref and join_ref of a frame that parsed as JSON but has the
 * wrong shape, so the error can be sent as a reply. Undefined when there is
 * no ref to answer (the client could not match the reply to anything).
 */
export function recoverAddress(raw: string, vsn: Vsn): Pick<Message, 'join_ref' | 'ref' | 'topic'> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  let joinRef: unknown, ref: unknown, topic: unknown;
  if (vsn === VSN_V2 && Array.isArray(value)) [joinRef, ref, topic] = value;
  else if (vsn !== VSN_V2 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    ({ join_ref: joinRef, ref, topic } = value as Record<string, unknown>);
  } else return undefined;
  // Only a real ref can be answered; one past the limit is not echoed back.
  if (!isRef(ref, false) || typeof topic !== 'string' || topic === '' || topic.length > Limits.maxTopicLength) return undefined;
  return { join_ref: isRef(joinRef) ? joinRef : null, ref, topic };
}

/** Trims a close reason to the byte limit without splitting a character. */
export function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out, 'utf8') > MAX_CLOSE_REASON_BYTES) out = out.slice(0, -1);
  return out;
}
