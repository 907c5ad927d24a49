/**
 * Checkout end to end against a fake payment gateway that behaves like a
 * remote one: it takes a while to answer and sometimes fails.
 */
import { Cart } from '../src/cart';
import { PaymentDeclinedError, PaymentGateway, checkout } from '../src/checkout';
import { Inventory, InsufficientStockError } from '../src/inventory';
import { Money } from '../src/money';
import { OrderBook } from '../src/orders';
import { RetryError, TimeoutError } from '../src/retry';
import { catalog } from './helpers/catalog';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Answers after `latencyMs`; fails according to `script` (one entry per call). */
class FakeGateway implements PaymentGateway {
  calls: Array<{ amount: Money; key: string }> = [];
  private readonly charged = new Map<string, string>();
  constructor(
    private readonly latencyMs: number,
    private readonly script: Array<'ok' | 'outage' | 'decline' | 'hang'> = [],
  ) {}
  async charge(amount: Money, key: string): Promise<string> {
    this.calls.push({ amount, key });
    const outcome = this.script[this.calls.length - 1] ?? 'ok';
    await sleep(outcome === 'hang' ? this.latencyMs * 10 : this.latencyMs);
    if (outcome === 'outage') throw new Error('503 Service Unavailable');
    if (outcome === 'decline') throw new PaymentDeclinedError('insufficient funds');
    const existing = this.charged.get(key);
    if (existing) return existing;
    const id = `txn_${this.charged.size + 1}`;
    this.charged.set(key, id);
    return id;
  }
}

function setup(gateway: PaymentGateway, stock = 10) {
  const inventory = new Inventory();
  inventory.receive(catalog.tshirt.sku, stock);
  inventory.receive(catalog.book.sku, stock);
  const orders = new OrderBook();
  return { inventory, orders, gateway, retry: { retries: 3, baseDelayMs: 40 } };
}

const cartOf = (tshirts: number, books = 0) => {
  const cart = new Cart('EUR').add(catalog.tshirt, tshirts);
  return books ? cart.add(catalog.book, books) : cart;
};

describe('checkout', () => {
  it('charges the cart total and marks the order paid', async () => {
    const gateway = new FakeGateway(30);
    const deps = setup(gateway);
    const result = await checkout(cartOf(2, 1), deps);
    expect(result).toMatchObject({ transactionId: 'txn_1', attempts: 1 });
    expect(result.order.status).toBe('paid');
    expect(gateway.calls[0]!.amount.amount).toBe(7318);
    expect(deps.inventory.available(catalog.tshirt.sku)).toBe(8);
  });

  it('retries gateway outages with the same idempotency key', async () => {
    const gateway = new FakeGateway(30, ['outage', 'outage', 'ok']);
    const deps = setup(gateway);
    const result = await checkout(cartOf(1), deps);
    expect(result.attempts).toBe(3);
    expect(new Set(gateway.calls.map((c) => c.key)).size).toBe(1);
    expect(result.order.status).toBe('paid');
  });

  it('does not retry a decline, cancels the order and frees the stock', async () => {
    const gateway = new FakeGateway(30, ['decline']);
    const deps = setup(gateway);
    await expect(checkout(cartOf(3), deps)).rejects.toThrow(PaymentDeclinedError);
    expect(gateway.calls).toHaveLength(1);
    const [order] = deps.orders.byStatus('cancelled');
    expect(order!.history.at(-1)!.note).toBe('payment declined: insufficient funds');
    expect(deps.inventory.available(catalog.tshirt.sku)).toBe(10);
  });

  it('times out a hanging gateway and gives up after the retries', async () => {
    const gateway = new FakeGateway(40, ['hang', 'hang', 'hang']);
    const deps = { ...setup(gateway), retry: { retries: 2, baseDelayMs: 20 }, paymentTimeoutMs: 100 };
    const error = await checkout(cartOf(1), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryError);
    expect((error as RetryError).lastError).toBeInstanceOf(TimeoutError);
    expect(deps.orders.byStatus('cancelled')).toHaveLength(1);
    expect(deps.inventory.available(catalog.tshirt.sku)).toBe(10);
    await sleep(300); // let the abandoned slow charges finish before the test ends
  });

  it('sells out: later customers get a clear stock error', async () => {
    const gateway = new FakeGateway(15);
    const deps = setup(gateway, 5);
    const outcomes: string[] = [];
    for (let customer = 0; customer < 7; customer++) {
      try {
        await checkout(cartOf(1), deps);
        outcomes.push('paid');
      } catch (e) {
        outcomes.push(e instanceof InsufficientStockError ? 'sold-out' : 'error');
      }
    }
    expect(outcomes).toEqual(['paid', 'paid', 'paid', 'paid', 'paid', 'sold-out', 'sold-out']);
    expect(deps.orders.byStatus('paid')).toHaveLength(5);
    expect(deps.orders.byStatus('cancelled')).toHaveLength(2);
    expect(deps.orders.byStatus('pending')).toHaveLength(0);
  });

  it('refuses an empty cart', async () => {
    await expect(checkout(new Cart('EUR'), setup(new FakeGateway(1)))).rejects.toThrow('empty cart');
  });
});
