/**
 * Order lifecycle as an explicit state machine. Every transition is recorded
 * in the order's history and published on the event bus.
 */
import { EventBus } from './eventBus';
import { Money } from './money';

export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'delivered' | 'cancelled' | 'refunded';

export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['paid', 'cancelled'],
  paid: ['shipped', 'refunded'],
  shipped: ['delivered'],
  delivered: ['refunded'],
  cancelled: [],
  refunded: [],
};

export interface Order {
  readonly id: string;
  readonly total: Money;
  status: OrderStatus;
  readonly history: Array<{ from: OrderStatus | null; to: OrderStatus; at: number; note?: string }>;
}

export type OrderEvents = {
  'order.created': { id: string; total: Money };
  'order.transition': { id: string; from: OrderStatus; to: OrderStatus };
};

export class InvalidTransitionError extends Error {
  constructor(id: string, from: OrderStatus, to: OrderStatus) {
    super(`order ${id}: cannot go from ${from} to ${to}`);
    this.name = 'InvalidTransitionError';
  }
}

export class OrderBook {
  private readonly orders = new Map<string, Order>();
  private seq = 0;

  constructor(
    readonly events: EventBus<OrderEvents> = new EventBus<OrderEvents>(),
    private readonly now: () => number = () => Date.now(),
  ) {}

  create(total: Money, prefix = 'ord'): Order {
    const id = `${prefix}_${String(++this.seq).padStart(6, '0')}`;
    const order: Order = { id, total, status: 'pending', history: [{ from: null, to: 'pending', at: this.now() }] };
    this.orders.set(id, order);
    this.events.emit('order.created', { id, total });
    return order;
  }

  get(id: string): Order {
    const order = this.orders.get(id);
    if (!order) throw new Error(`unknown order ${id}`);
    return order;
  }

  canTransition(id: string, to: OrderStatus): boolean {
    return TRANSITIONS[this.get(id).status].includes(to);
  }

  transition(id: string, to: OrderStatus, note?: string): Order {
    const order = this.get(id);
    const from = order.status;
    if (!TRANSITIONS[from].includes(to)) throw new InvalidTransitionError(id, from, to);
    order.status = to;
    order.history.push({ from, to, at: this.now(), ...(note ? { note } : {}) });
    this.events.emit('order.transition', { id, from, to });
    return order;
  }

  byStatus(status: OrderStatus): Order[] {
    return [...this.orders.values()].filter((o) => o.status === status);
  }

  /** True once no transition can ever leave the current status. */
  isFinal(id: string): boolean {
    return TRANSITIONS[this.get(id).status].length === 0;
  }
}
