import { EventBus } from '../src/eventBus';
import { money } from '../src/money';
import { InvalidTransitionError, OrderBook, OrderEvents, OrderStatus, TRANSITIONS } from '../src/orders';

describe('order state machine', () => {
  let now: number;
  let book: OrderBook;
  let events: Array<[string, unknown]>;

  beforeEach(() => {
    now = 1_700_000_000_000;
    const bus = new EventBus<OrderEvents>();
    events = [];
    bus.on('order.created', (p) => events.push(['created', p.id]));
    bus.on('order.transition', (p) => events.push(['transition', `${p.from}->${p.to}`]));
    book = new OrderBook(bus, () => now);
  });

  it('creates pending orders with sequential ids', () => {
    const a = book.create(money(1000, 'EUR'));
    const b = book.create(money(2000, 'EUR'), 'rtn');
    expect([a.id, b.id]).toEqual(['ord_000001', 'rtn_000002']);
    expect(a.status).toBe('pending');
    expect(a.history).toEqual([{ from: null, to: 'pending', at: now }]);
  });

  it('walks the happy path and records every step', () => {
    const { id } = book.create(money(1000, 'EUR'));
    for (const status of ['paid', 'shipped', 'delivered'] as OrderStatus[]) {
      now += 60_000;
      book.transition(id, status);
    }
    expect(book.get(id).history.map((h) => h.to)).toEqual(['pending', 'paid', 'shipped', 'delivered']);
    expect(book.get(id).history[3]!.at).toBe(1_700_000_180_000);
    expect(events).toEqual([
      ['created', id],
      ['transition', 'pending->paid'],
      ['transition', 'paid->shipped'],
      ['transition', 'shipped->delivered'],
    ]);
  });

  it('rejects transitions the machine does not allow', () => {
    const { id } = book.create(money(1000, 'EUR'));
    expect(() => book.transition(id, 'shipped')).toThrow(InvalidTransitionError);
    expect(() => book.transition(id, 'shipped')).toThrow(`order ${id}: cannot go from pending to shipped`);
    expect(book.get(id).status).toBe('pending');
  });

  it('keeps a note with the transition', () => {
    const { id } = book.create(money(1000, 'EUR'));
    book.transition(id, 'cancelled', 'customer changed their mind');
    expect(book.get(id).history[1]).toMatchObject({ to: 'cancelled', note: 'customer changed their mind' });
    expect(book.isFinal(id)).toBe(true);
  });

  it('only delivered or paid orders can be refunded', () => {
    const statuses = Object.keys(TRANSITIONS) as OrderStatus[];
    expect(statuses.filter((s) => TRANSITIONS[s].includes('refunded')).sort()).toEqual(['delivered', 'paid']);
  });

  it('every status is reachable from pending', () => {
    const seen = new Set<OrderStatus>(['pending']);
    const queue: OrderStatus[] = ['pending'];
    while (queue.length) for (const next of TRANSITIONS[queue.shift()!]) if (!seen.has(next)) seen.add(next) && queue.push(next);
    expect(seen.size).toBe(Object.keys(TRANSITIONS).length);
  });

  it('filters by status', () => {
    const a = book.create(money(1, 'EUR'));
    book.create(money(2, 'EUR'));
    book.transition(a.id, 'paid');
    expect(book.byStatus('paid').map((o) => o.id)).toEqual([a.id]);
    expect(book.byStatus('pending')).toHaveLength(1);
    expect(book.canTransition(a.id, 'shipped')).toBe(true);
    expect(book.canTransition(a.id, 'cancelled')).toBe(false);
  });

  it('complains about unknown orders', () => {
    expect(() => book.get('ord_999999')).toThrow('unknown order ord_999999');
  });
});
