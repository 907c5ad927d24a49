import * as v from '../src/validator';

describe('validator primitives', () => {
  it('strings: type, length, pattern and trimming', () => {
    const sku = v.string({ minLength: 3, maxLength: 8, pattern: /^[A-Z0-9-]+$/, trim: true });
    expect(v.validate(sku, '  TS-001 ')).toEqual({ ok: true, value: 'TS-001' });
    expect(v.validate(sku, 42)).toEqual({ ok: false, issues: [{ path: '(root)', message: 'expected string, got number' }] });
    const bad = v.validate(sku, 'ab');
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.issues.map((i) => i.message)).toEqual(['must be at least 3 characters', 'must match /^[A-Z0-9-]+$/']);
    }
  });

  it('numbers: integer, min and max; NaN is not a number', () => {
    const qty = v.number({ integer: true, min: 1, max: 10 });
    expect(v.validate(qty, 3)).toEqual({ ok: true, value: 3 });
    expect(v.validate(qty, 0.5).ok).toBe(false);
    expect(v.validate(qty, 11)).toEqual({ ok: false, issues: [{ path: '(root)', message: 'must be <= 10' }] });
    expect(v.validate(qty, Number.NaN)).toEqual({ ok: false, issues: [{ path: '(root)', message: 'expected number, got NaN' }] });
    expect(v.validate(qty, '3').ok).toBe(false);
  });

  it('booleans and literals', () => {
    expect(v.validate(v.boolean(), false)).toEqual({ ok: true, value: false });
    expect(v.validate(v.boolean(), 'true').ok).toBe(false);
    expect(v.validate(v.literal('v1'), 'v1')).toEqual({ ok: true, value: 'v1' });
    expect(v.validate(v.literal(2), 3)).toEqual({ ok: false, issues: [{ path: '(root)', message: 'expected 2' }] });
  });

  it('enums', () => {
    const size = v.oneOf(['S', 'M', 'L'] as const);
    expect(v.validate(size, 'M')).toEqual({ ok: true, value: 'M' });
    expect(v.validate(size, 'XL')).toEqual({ ok: false, issues: [{ path: '(root)', message: 'expected one of S, M, L' }] });
  });

  it('optional with a default, nullable', () => {
    expect(v.validate(v.optional(v.number(), 7), undefined)).toEqual({ ok: true, value: 7 });
    expect(v.validate(v.optional(v.number()), undefined)).toEqual({ ok: true, value: undefined });
    expect(v.validate(v.nullable(v.string()), null)).toEqual({ ok: true, value: null });
    expect(v.validate(v.nullable(v.string()), undefined).ok).toBe(false);
  });

  it('unions report the closest alternative', () => {
    const id = v.union(v.number({ integer: true, min: 1 }), v.string({ pattern: /^[a-z]+_\d+$/ }));
    expect(v.validate(id, 12)).toEqual({ ok: true, value: 12 });
    expect(v.validate(id, 'ord_12')).toEqual({ ok: true, value: 'ord_12' });
    expect(v.validate(id, 'nope')).toEqual({ ok: false, issues: [{ path: '(root)', message: 'must match /^[a-z]+_\\d+$/' }] });
  });

  it('arrays check their length and every item with an index path', () => {
    const tags = v.array(v.string({ minLength: 1 }), { minItems: 1, maxItems: 3 });
    expect(v.validate(tags, ['a', 'b'])).toEqual({ ok: true, value: ['a', 'b'] });
    expect(v.validate(tags, [])).toEqual({ ok: false, issues: [{ path: '(root)', message: 'must have at least 1 items' }] });
    expect(v.validate(tags, ['a', '', 3])).toEqual({
      ok: false,
      issues: [
        { path: '[1]', message: 'must be at least 1 characters' },
        { path: '[2]', message: 'expected string, got number' },
      ],
    });
    expect(v.validate(tags, { 0: 'a' })).toEqual({ ok: false, issues: [{ path: '(root)', message: 'expected array, got object' }] });
  });
});
