/**
 * One Server-Sent Events response. What the client has not read yet is
 * bounded: past `maxBufferedBytes` the stream is cut, and the browser's
 * EventSource reconnects and starts again from a fresh snapshot. A slow
 * page costs one snapshot, never unbounded server memory.
 */
import type { ServerResponse } from 'node:http';

/** Unread bytes a client may have before it is cut. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** The most a snapshot may raise what one reader may hold unread: past it the stream is cut (the run is too big for a page). */
export const MAX_SNAPSHOT_ALLOWANCE = 64 * 1024 * 1024;
/** How long the browser waits before reconnecting a cut stream (the `retry` field). */
const RECONNECT_MS = 2_000;

export class EventStream {
  readonly #res: ServerResponse;
  readonly #maxBufferedBytes: number;
  /** Unread bytes allowed now: the limit, plus the last snapshot (a run of 10,000 files has a snapshot of several MiB). */
  #allowance: number;
  #closed = false;

  constructor(res: ServerResponse, headers: Record<string, string>, maxBufferedBytes = MAX_BUFFERED_BYTES) {
    this.#res = res;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#allowance = maxBufferedBytes;
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx buffers proxied responses unless told not to; events would arrive in lumps.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RECONNECT_MS}\n\n`);
    res.on('close', () => {
      this.#closed = true;
    });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Calls `listener` once the stream ends, whoever ends it. */
  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#res.once('close', listener);
  }

  /** Sends one event (`data` must hold no newline: JSON does not). False when the stream is closed, or was just cut for reading too slowly. */
  send(event: string, data: string): boolean {
    return this.#write(`event: ${event}\ndata: ${data}\n\n`);
  }

  /**
   * Sends the event a page starts from (the snapshot), whatever its size:
   * the reader may then fall behind by the limit beyond it. A page that
   * cannot read even that is cut, and starts again from a fresh snapshot.
   */
  sendSnapshot(event: string, data: string): boolean {
    const chunk = `event: ${event}\ndata: ${data}\n\n`;
    this.#allowance = Math.min(MAX_SNAPSHOT_ALLOWANCE, Math.max(this.#allowance, this.#res.writableLength + Buffer.byteLength(chunk) + this.#maxBufferedBytes));
    return this.#write(chunk);
  }

  /** A comment line: keeps proxies from closing an idle stream. */
  ping(): boolean {
    return this.#write(': ping\n\n');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#res.end();
  }

  #write(chunk: string): boolean {
    if (this.#closed) return false;
    if (this.#res.writableLength + Buffer.byteLength(chunk) > this.#allowance) {
      this.#closed = true;
      this.#res.destroy();
      return false;
    }
    this.#res.write(chunk);
    return true;
  }
}
