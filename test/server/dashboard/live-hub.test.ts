/**
 * The fan-out of run changes to the pages watching: one event per page per
 * turn, nothing a page's snapshot already holds, list rows by scope, and a
 * page that stops reading cut off instead of buffered without bound.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { EventStream } from '../../../src/server/dashboard/EventStream';
import { LiveHub } from '../../../src/server/dashboard/LiveHub';
import type { RunListItem } from '../../../src/server/dashboard/types';

/** A response that keeps what is written, and can pretend its reader has stopped. */
class FakeResponse extends EventEmitter {
  written = '';
  writableLength = 0;
  destroyed = false;
  ended = false;
  status = 0;
  writeHead(status: number): this {
    this.status = status;
    return this;
  }
  write(chunk: string): boolean {
    this.written += chunk;
    return true;
  }
  end(): void {
    this.ended = true;
    this.emit('close');
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  /** The events written so far, as [event, data]. */
  events(): Array<[string, unknown]> {
    return [...this.written.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map(m => [m[1]!, JSON.parse(m[2]!)]);
  }
}

const stream = (max?: number) => {
  const res = new FakeResponse();
  return { res, stream: new EventStream(res as unknown as ServerResponse, {}, max) };
};
const turn = () => new Promise(resolve => setImmediate(resolve));
const item = (buildId: string, done: number): RunListItem => ({ runKey: 'jest', buildId, keyIndex: 0, state: 'running', meta: {}, startedAt: 1, finishedAt: null, total: 4, done, failed: 0, nodeCount: 1 });

let hub: LiveHub;
beforeEach(() => (hub = new LiveHub()));
afterEach(() => hub.close());

it("sends a run's deltas of one turn as one event, only to that run's pages", async () => {
  const a = stream();
  const b = stream();
  hub.watchRun('run-a', a.stream, hub.seq);
  hub.watchRun('run-b', b.stream, hub.seq);
  hub.publish('run-a', { t: 'leave', at: 1, node: 0 });
  hub.publish('run-a', { t: 'lost', at: 2, node: 1 });
  await turn();
  expect(a.res.events()).toEqual([['deltas', [{ t: 'leave', at: 1, node: 0 }, { t: 'lost', at: 2, node: 1 }]]]);
  expect(b.res.events()).toEqual([]);
  expect(a.res.status).toBe(200);
  expect(a.res.written.startsWith('retry: 2000\n\n')).toBe(true);
});

it('leaves out the deltas a page got in its snapshot', async () => {
  const early = stream();
  hub.watchRun('run', early.stream, hub.seq);
  hub.publish('run', { t: 'leave', at: 1, node: 0 });
  // A page that subscribes now took its snapshot after the first delta.
  const late = stream();
  hub.watchRun('run', late.stream, hub.seq);
  hub.publish('run', { t: 'leave', at: 2, node: 1 });
  await turn();
  expect(early.res.events()).toEqual([['deltas', [{ t: 'leave', at: 1, node: 0 }, { t: 'leave', at: 2, node: 1 }]]]);
  expect(late.res.events()).toEqual([['deltas', [{ t: 'leave', at: 2, node: 1 }]]]);
});

it('sends list rows to the pages whose scope covers them, without the key position to a key', async () => {
  const key = stream();
  const all = stream();
  hub.watchList({ kind: 'key', keyHash: 'mine' }, key.stream);
  hub.watchList({ kind: 'all' }, all.stream);
  hub.listChanged('r1', { keyHash: 'mine', item: item('b-1', 1) });
  hub.listChanged('r1', { keyHash: 'mine', item: item('b-1', 2) });
  hub.listChanged('r2', { keyHash: 'theirs', item: item('b-2', 1) });
  await turn();
  const { keyIndex: _k, ...withoutKey } = item('b-1', 2);
  expect(key.res.events()).toEqual([['runs', [withoutKey]]]);
  expect(all.res.events()).toEqual([['runs', [item('b-1', 2), item('b-2', 1)]]]);
  hub.removed('r2', { keyHash: 'theirs', item: item('b-2', 1) });
  await turn();
  expect(all.res.events().at(-1)).toEqual(['removed', [{ runKey: 'jest', buildId: 'b-2', keyIndex: 0 }]]);
  expect(key.res.events()).toHaveLength(1);
});

it('tells the pages of an evicted run, and forgets closed streams', async () => {
  const a = stream();
  hub.watchRun('run', a.stream, hub.seq);
  expect(hub.watchers).toBe(1);
  hub.removed('run', { keyHash: 'h', item: item('b', 0) });
  expect(a.res.events()).toEqual([['gone', {}]]);
  expect(a.res.ended).toBe(true);
  expect(hub.watchers).toBe(0);
  expect(hub.isWatched('run')).toBe(false);
});

it('cuts a page that has stopped reading once its unread output passes the bound', async () => {
  const slow = stream(1_000);
  hub.watchRun('run', slow.stream, hub.seq);
  slow.res.writableLength = 990;
  hub.publish('run', { t: 'leave', at: 1, node: 0 });
  await turn();
  expect(slow.res.destroyed).toBe(true);
  expect(slow.stream.isClosed).toBe(true);
  expect(hub.watchers).toBe(0);
});

it('sends a snapshot past the bound whole (a 10,000-file run), then cuts a page that falls the bound behind it', async () => {
  const page = stream(1_000);
  const big = JSON.stringify({ ids: 'x'.repeat(5_000) });
  expect(page.stream.sendSnapshot('snapshot', big)).toBe(true);
  // Nothing of the snapshot read yet: a delta still fits, within the bound beyond it.
  page.res.writableLength = 5_100;
  expect(page.stream.send('deltas', '[]')).toBe(true);
  expect(page.res.events().map(([event]) => event)).toEqual(['snapshot', 'deltas']);
  page.res.writableLength = 6_100;
  expect(page.stream.send('deltas', '[]')).toBe(false);
  expect(page.res.destroyed).toBe(true);
});
