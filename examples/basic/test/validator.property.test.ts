/**
 * Generated order payloads: every valid one passes, and a single injected
 * defect is reported exactly once, at exactly the right path.
 */
import * as v from '../src/validator';
import { createRng, Rng } from '../src/random';
import { orderPayload } from './helpers/schemas';

const ROUNDS = 1_500;

function validOrder(rng: Rng) {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const sku = () =>
    Array.from({ length: rng.int(2, 4) }, () => rng.pick([...letters])).join('') + '-' + String(rng.int(10, 999));
  return {
    customer: {
      email: `user${rng.int(1, 99999)}@example.${rng.pick(['com', 'org', 'de'])}`,
      name: rng.pick(['Ada', 'Grace Hopper', 'Alan', 'Katherine Johnson']),
      ...(rng.chance(0.5) ? { marketingOptIn: rng.chance(0.5) } : {}),
    },
    items: Array.from({ length: rng.int(1, 12) }, () => ({ sku: sku(), quantity: rng.int(1, 999) })),
    shipping: rng.pick(['standard', 'express', 'pickup'] as const),
    ...(rng.chance(0.3) ? { couponCode: rng.chance(0.5) ? null : 'SPRING24' } : {}),
  };
}

type Defect = { path: string; apply: (o: ReturnType<typeof validOrder>) => void };

function defects(o: ReturnType<typeof validOrder>, rng: Rng): Defect[] {
  const i = rng.int(0, o.items.length - 1);
  return [
    { path: 'customer.email', apply: (x) => (x.customer.email = 'not an email') },
    { path: 'customer.name', apply: (x) => (x.customer.name = '') },
    { path: `items[${i}].quantity`, apply: (x) => (x.items[i]!.quantity = rng.pick([0, 1000, 2.5, -1])) },
    { path: `items[${i}].sku`, apply: (x) => (x.items[i]!.sku = x.items[i]!.sku.toLowerCase()) },
    { path: 'shipping', apply: (x) => ((x as { shipping: string }).shipping = 'teleport') },
    { path: 'items', apply: (x) => (x.items = []) },
    { path: 'discount', apply: (x) => Object.assign(x, { discount: 10 }) },
  ];
}

describe('order payload validation (generated inputs)', () => {
  it('accepts every valid order', () => {
    const rng = createRng(42);
    for (let n = 0; n < ROUNDS; n++) {
      const order = validOrder(rng);
      const result = v.validate(orderPayload, order);
      if (!result.ok) throw new Error(`rejected a valid order: ${JSON.stringify(result.issues)}`);
      expect(result.value.items).toHaveLength(order.items.length);
    }
  });

  it('reports a single defect once, at its path', () => {
    const rng = createRng(4242);
    for (let n = 0; n < ROUNDS; n++) {
      const order = validOrder(rng);
      const defect = rng.pick(defects(order, rng));
      defect.apply(order);
      const result = v.validate(orderPayload, order);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues.map((i) => i.path)).toEqual([defect.path]);
    }
  });
});
