import * as v from '../src/validator';
import { orderPayload, OrderPayload } from './helpers/schemas';

const valid = () => ({
  customer: { email: ' ada@example.com ', name: 'Ada Lovelace' },
  items: [
    { sku: 'TS-001', quantity: 2 },
    { sku: 'MUG-01', quantity: 1 },
  ],
  shipping: 'express',
});

describe('validator objects', () => {
  it('accepts a valid order, trims and fills defaults', () => {
    const result = v.validate(orderPayload, valid());
    expect(result.ok).toBe(true);
    if (result.ok) {
      const order: OrderPayload = result.value;
      expect(order.customer.email).toBe('ada@example.com');
      expect(order.customer.marketingOptIn).toBe(false);
      expect(order.items).toHaveLength(2);
      expect('couponCode' in order).toBe(false);
    }
  });

  it('reports nested problems with their paths', () => {
    const input = valid() as Record<string, unknown>;
    input.items = [
      { sku: 'TS-001', quantity: 0 },
      { sku: 'bad sku', quantity: 1.5 },
    ];
    input.shipping = 'drone';
    const result = v.validate(orderPayload, input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues).toEqual([
        { path: 'items[0].quantity', message: 'must be >= 1' },
        { path: 'items[1].sku', message: 'must match /^[A-Z]{2,4}-\\d{2,3}$/' },
        { path: 'items[1].quantity', message: 'must be an integer' },
        { path: 'shipping', message: 'expected one of standard, express, pickup' },
      ]);
    }
  });

  it('requires required keys and rejects unknown ones in strict mode', () => {
    const input = { ...valid(), shipping: undefined, giftWrap: true } as Record<string, unknown>;
    delete input.shipping;
    const result = v.validate(orderPayload, input);
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: 'shipping', message: 'is required' },
        { path: 'giftWrap', message: 'is not allowed' },
      ],
    });
  });

  it('lets non-strict objects carry extra keys (they are dropped)', () => {
    const point = v.object({ x: v.number(), y: v.number() });
    expect(v.validate(point, { x: 1, y: 2, z: 3 })).toEqual({ ok: true, value: { x: 1, y: 2 } });
  });

  it('accepts a null coupon but not a long one', () => {
    expect(v.validate(orderPayload, { ...valid(), couponCode: null }).ok).toBe(true);
    const long = v.validate(orderPayload, { ...valid(), couponCode: 'X'.repeat(21) });
    expect(long.ok).toBe(false);
  });

  it.each([null, [], 'order', 42])('rejects a non-object body %p', (body) => {
    const result = v.validate(orderPayload, body);
    expect(result.ok).toBe(false);
  });

  it('parse throws a ValidationError listing every issue', () => {
    expect(() => v.parse(orderPayload, { ...valid(), items: [] })).toThrow(
      new v.ValidationError([{ path: 'items', message: 'must have at least 1 items' }]),
    );
    expect(() => v.parse(orderPayload, {})).toThrow('customer is required; items is required; shipping is required');
  });
});
