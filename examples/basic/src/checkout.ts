/**
 * Checkout: reserve stock, charge the customer through a (flaky, remote)
 * payment gateway with retries, and record the order. Any failure after the
 * reservation releases it again.
 */
import { Cart, TaxTable, DEFAULT_TAX_TABLE } from './cart';
import { Inventory } from './inventory';
import { Money } from './money';
import { OrderBook, Order } from './orders';
import { retry, RetryOptions, withTimeout } from './retry';

export interface PaymentGateway {
  /** Charges the amount; resolves with a transaction id. Idempotent per key. */
  charge(amount: Money, idempotencyKey: string): Promise<string>;
}

export class PaymentDeclinedError extends Error {
  constructor(reason: string) {
    super(`payment declined: ${reason}`);
    this.name = 'PaymentDeclinedError';
  }
}

export interface CheckoutDeps {
  inventory: Inventory;
  orders: OrderBook;
  gateway: PaymentGateway;
  taxTable?: TaxTable;
  retry?: Omit<RetryOptions, 'shouldRetry'>;
  paymentTimeoutMs?: number;
}

export interface CheckoutResult {
  order: Order;
  transactionId: string;
  attempts: number;
}

export async function checkout(cart: Cart, deps: CheckoutDeps): Promise<CheckoutResult> {
  if (cart.isEmpty()) throw new Error('cannot check out an empty cart');
  const totals = cart.totals(deps.taxTable ?? DEFAULT_TAX_TABLE);
  const order = deps.orders.create(totals.total);
  try {
    deps.inventory.reserve(
      order.id,
      cart.items().map(({ product, quantity }) => ({ sku: product.sku, quantity })),
    );
  } catch (error) {
    deps.orders.transition(order.id, 'cancelled', error instanceof Error ? error.message : String(error));
    throw error;
  }
  let attempts = 0;
  try {
    const transactionId = await retry(
      (attempt) => {
        attempts = attempt;
        const charge = deps.gateway.charge(totals.total, order.id);
        return deps.paymentTimeoutMs ? withTimeout(charge, deps.paymentTimeoutMs) : charge;
      },
      {
        retries: 3,
        baseDelayMs: 50,
        ...deps.retry,
        // A decline is an answer, not an outage: never retry it.
        shouldRetry: (error) => !(error instanceof PaymentDeclinedError),
      },
    );
    deps.orders.transition(order.id, 'paid', transactionId);
    return { order, transactionId, attempts };
  } catch (error) {
    deps.inventory.release(order.id);
    deps.orders.transition(order.id, 'cancelled', error instanceof Error ? error.message : String(error));
    throw error;
  }
}
