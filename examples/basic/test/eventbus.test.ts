import { EventBus } from '../src/eventBus';

type Events = {
  'cart.updated': { items: number };
  'user.login': { userId: string };
};

describe('EventBus', () => {
  it('calls listeners in subscription order with the payload', () => {
    const bus = new EventBus<Events>();
    const calls: string[] = [];
    bus.on('cart.updated', (p) => calls.push(`first:${p.items}`));
    bus.on('cart.updated', (p) => calls.push(`second:${p.items}`));
    expect(bus.emit('cart.updated', { items: 3 })).toBe(2);
    expect(calls).toEqual(['first:3', 'second:3']);
  });

  it('unsubscribes with the returned function or with off', () => {
    const bus = new EventBus<Events>();
    const a = jest.fn();
    const b = jest.fn();
    const stop = bus.on('user.login', a);
    bus.on('user.login', b);
    stop();
    expect(bus.off('user.login', b)).toBe(true);
    expect(bus.off('user.login', b)).toBe(false);
    bus.emit('user.login', { userId: 'u1' });
    expect(a).not.toHaveBeenCalled();
    expect(b).not.toHaveBeenCalled();
    expect(bus.listenerCount('user.login')).toBe(0);
  });

  it('runs once-listeners a single time', () => {
    const bus = new EventBus<Events>();
    const fn = jest.fn();
    bus.once('user.login', fn);
    bus.emit('user.login', { userId: 'a' });
    bus.emit('user.login', { userId: 'b' });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith({ userId: 'a' });
  });

  it('isolates a throwing listener and reports its error', () => {
    const errors: Array<[string, string]> = [];
    const bus = new EventBus<Events>({ onError: (e, event) => errors.push([event, (e as Error).message]) });
    const after = jest.fn();
    bus.on('cart.updated', () => {
      throw new Error('boom');
    });
    bus.on('cart.updated', after);
    bus.emit('cart.updated', { items: 1 });
    expect(after).toHaveBeenCalled();
    expect(errors).toEqual([['cart.updated', 'boom']]);
  });

  it('reports rejected async listeners of a sync emit', async () => {
    const onError = jest.fn();
    const bus = new EventBus<Events>({ onError });
    bus.on('cart.updated', async () => {
      throw new Error('later');
    });
    bus.emit('cart.updated', { items: 1 });
    await new Promise((r) => setImmediate(r));
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'later' }), 'cart.updated');
  });

  it('a listener added during emit only sees the next event', () => {
    const bus = new EventBus<Events>();
    const late = jest.fn();
    bus.on('cart.updated', () => {
      bus.on('cart.updated', late);
    });
    bus.emit('cart.updated', { items: 1 });
    expect(late).not.toHaveBeenCalled();
    bus.emit('cart.updated', { items: 2 });
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('waitFor resolves with the next payload', async () => {
    const bus = new EventBus<Events>();
    const next = bus.waitFor('user.login', 1000);
    bus.emit('user.login', { userId: 'u42' });
    await expect(next).resolves.toEqual({ userId: 'u42' });
    expect(bus.listenerCount('user.login')).toBe(0);
  });

  it('waitFor times out and unsubscribes', async () => {
    const bus = new EventBus<Events>();
    await expect(bus.waitFor('user.login', 10)).rejects.toThrow('timed out after 10 ms waiting for user.login');
    expect(bus.listenerCount('user.login')).toBe(0);
  });
});
