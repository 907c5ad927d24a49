/**
 * Every frame the server sends goes out through here. While journal records
 * of this turn of the event loop are not on disk yet, frames wait, in order;
 * one flush per turn writes and syncs them all (group commit), then the
 * frames go out. A reply therefore never acknowledges what a crash could
 * lose, and a burst of requests costs one sync per journal, not one each.
 * Without a data directory frames go out at once.
 */
import debug from 'debug';
import { WebSocket } from 'ws';
import { CloseCodes } from '../../protocol/constants';

const log = debug('jest-fast-ci:server:connection');

/** What the outbox needs of the store: whether records wait, and a flush that throws on an I/O error. */
export interface Durable {
  readonly hasPending: boolean;
  flush(): void;
}

export interface OutboxOptions {
  readonly durable?: Durable;
  /** A socket whose unsent output passes this many bytes (a client that stopped reading) is cut. */
  readonly maxUnsentBytes: number;
  readonly warn: (message: string) => void;
}

export class Outbox {
  readonly #options: OutboxOptions;
  #queue: Array<{ ws: WebSocket; raw: string }> = [];
  #scheduled = false;

  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  send(ws: WebSocket, raw: string): void {
    if (this.#queue.length === 0 && !this.#options.durable?.hasPending) return this.#write(ws, raw);
    this.#queue.push({ ws, raw });
    this.schedule();
  }

  /** Flushes at the end of this turn: called when records are appended, so a record with no reply after it is written too. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    try {
      this.#options.durable?.flush();
    } catch (error) {
      // Nothing that depends on the unwritten records is acknowledged: the
      // clients reconnect and send again; the records are tried again.
      this.#options.warn(`could not write the run journal (${(error as Error).message}); closing ${queue.length} waiting replies' sockets`);
      for (const socket of new Set(queue.map(item => item.ws))) {
        if (socket.readyState === WebSocket.OPEN) socket.close(CloseCodes.internalError, 'the server could not write its journal');
      }
      this.schedule();
      return;
    }
    for (const { ws, raw } of queue) this.#write(ws, raw);
  }

  #write(ws: WebSocket, raw: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(raw);
    if (ws.bufferedAmount > this.#options.maxUnsentBytes) {
      log('cutting a socket with %d bytes unsent: the client stopped reading', ws.bufferedAmount);
      ws.terminate();
    }
  }
}
