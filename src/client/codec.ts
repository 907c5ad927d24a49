/**
 * Adapts the protocol's V1 codec to phoenix.js's callback-style
 * encode/decode options. phoenix.js speaks V2 arrays by default even with
 * `vsn: "1.0.0"`, so V1 needs these. Every frame is logged (redacted) under
 * `DEBUG=jest-fast-ci:client:frames`.
 */
import createDebug from 'debug';
import { v1 } from '../protocol/serializer';
import type { Message } from '../protocol/types';
import { redact } from '../config';

const debugFrames = createDebug('jest-fast-ci:client:frames');

type PhoenixMessage = { join_ref?: string | null; ref?: string | null; topic: string; event: string; payload: unknown };

export function phoenixCodec(secret: string | undefined) {
  return {
    encode(payload: object, callback: (raw: string) => void): void {
      const message = payload as PhoenixMessage;
      const raw = v1.encode({
        join_ref: message.join_ref ?? null,
        ref: message.ref ?? null,
        topic: message.topic,
        event: message.event,
        payload: message.payload,
      });
      if (debugFrames.enabled) debugFrames('→ %s', redact(raw, secret));
      callback(raw);
    },
    decode(raw: string, callback: (message: Message) => void): void {
      if (debugFrames.enabled) debugFrames('← %s', redact(String(raw), secret));
      let message: Message;
      try {
        message = v1.decode(String(raw));
      } catch (error) {
        // A frame we cannot read is dropped, not thrown: throwing inside the
        // socket's message handler would take the whole Jest process down.
        debugFrames('dropped an undecodable frame: %s', (error as Error).message);
        return;
      }
      callback(message);
    },
  };
}
