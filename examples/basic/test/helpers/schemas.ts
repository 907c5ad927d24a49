import * as v from '../../src/validator';

/** The payload of POST /orders in the example shop. */
export const orderPayload = v.object(
  {
    customer: v.object({
      email: v.string({ pattern: /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i, trim: true }),
      name: v.string({ minLength: 1, maxLength: 80 }),
      marketingOptIn: v.optional(v.boolean(), false),
    }),
    items: v.array(
      v.object({
        sku: v.string({ pattern: /^[A-Z]{2,4}-\d{2,3}$/ }),
        quantity: v.number({ integer: true, min: 1, max: 999 }),
      }),
      { minItems: 1, maxItems: 50 },
    ),
    shipping: v.oneOf(['standard', 'express', 'pickup'] as const),
    couponCode: v.optional(v.nullable(v.string({ maxLength: 20 }))),
  },
  { strict: true },
);

export type OrderPayload = v.Infer<typeof orderPayload>;
