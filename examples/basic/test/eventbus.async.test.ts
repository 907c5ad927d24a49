/**
 * Async listeners (send the confirmation e-mail, update the search index,
 * notify the warehouse) awaited serially or in parallel.
 */
import { EventBus } from '../src/eventBus';

type Events = { 'order.paid': { orderId: string } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EventBus.emitAsync', () => {
  const slowListeners = (bus: EventBus<Events>, log: string[], ms: number) => {
    for (const name of ['email', 'search-index', 'warehouse', 'analytics']) {
      bus.on('order.paid', async ({ orderId }) => {
        log.push(`${name}:start:${orderId}`);
        await sleep(ms);
        log.push(`${name}:end:${orderId}`);
      });
    }
  };

  it('serial mode runs one listener after the other', async () => {
    const bus = new EventBus<Events>();
    const log: string[] = [];
    slowListeners(bus, log, 60);
    const t0 = Date.now();
    await bus.emitAsync('order.paid', { orderId: 'o1' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4 * 60 - 10);
    expect(log.slice(0, 3)).toEqual(['email:start:o1', 'email:end:o1', 'search-index:start:o1']);
  });

  it('parallel mode overlaps them', async () => {
    const bus = new EventBus<Events>();
    const log: string[] = [];
    slowListeners(bus, log, 60);
    const t0 = Date.now();
    await bus.emitAsync('order.paid', { orderId: 'o2' }, 'parallel');
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(50);
    expect(elapsed).toBeLessThan(4 * 60);
    expect(log.slice(0, 4).every((l) => l.includes(':start:'))).toBe(true);
  });

  it('collects the errors of failing listeners without stopping the others', async () => {
    const reported: string[] = [];
    const bus = new EventBus<Events>({ onError: (e) => reported.push((e as Error).message) });
    const done: string[] = [];
    bus.on('order.paid', async () => {
      await sleep(30);
      throw new Error('smtp timeout');
    });
    bus.on('order.paid', async () => {
      await sleep(30);
      done.push('warehouse');
    });
    const errors = await bus.emitAsync('order.paid', { orderId: 'o3' });
    expect(errors.map((e) => (e as Error).message)).toEqual(['smtp timeout']);
    expect(reported).toEqual(['smtp timeout']);
    expect(done).toEqual(['warehouse']);
  });

  it('waitFor sees an event emitted later from a timer', async () => {
    const bus = new EventBus<Events>();
    setTimeout(() => bus.emit('order.paid', { orderId: 'late' }), 80);
    await expect(bus.waitFor('order.paid', 1_000)).resolves.toEqual({ orderId: 'late' });
  });
});
