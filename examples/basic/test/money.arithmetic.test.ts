import {
  CurrencyMismatchError,
  add,
  compare,
  equals,
  max,
  min,
  money,
  multiply,
  negate,
  roundTo,
  subtract,
  sum,
  zero,
} from '../src/money';

describe('money arithmetic', () => {
  const eur = (n: number) => money(n, 'EUR');

  it('adds and subtracts minor units exactly', () => {
    expect(add(eur(1999), eur(1))).toEqual(eur(2000));
    expect(subtract(eur(500), eur(1250))).toEqual(eur(-750));
    // the classic float trap never happens with integer cents
    expect(add(eur(10), eur(20)).amount).toBe(30);
  });

  it('refuses to mix currencies', () => {
    expect(() => add(eur(1), money(1, 'USD'))).toThrow(CurrencyMismatchError);
    expect(() => compare(eur(1), money(1, 'GBP'))).toThrow('currency mismatch: EUR vs GBP');
  });

  it('rejects fractional or unsafe amounts', () => {
    expect(() => money(1.5, 'EUR')).toThrow(RangeError);
    expect(() => money(Number.MAX_SAFE_INTEGER + 1, 'EUR')).toThrow(RangeError);
    expect(() => money(Number.NaN, 'EUR')).toThrow(RangeError);
  });

  it('normalises negative zero', () => {
    expect(Object.is(money(-0, 'EUR').amount, 0)).toBe(true);
    expect(Object.is(negate(zero('EUR')).amount, 0)).toBe(true);
  });

  it('multiplies with banker’s rounding by default', () => {
    expect(multiply(eur(1999), 3)).toEqual(eur(5997));
    expect(multiply(eur(5), 0.5).amount).toBe(2); // 2.5 → 2
    expect(multiply(eur(15), 0.5).amount).toBe(8); // 7.5 → 8
    expect(multiply(eur(1050), 0.1).amount).toBe(105); // 105.00000000000001
  });

  it.each([
    [2.5, 'half-even', 2],
    [3.5, 'half-even', 4],
    [-2.5, 'half-even', -2],
    [2.5, 'half-up', 3],
    [-2.5, 'half-up', -3],
    [2.7, 'floor', 2],
    [2.2, 'ceil', 3],
    [2.0000000000000004, 'ceil', 2],
  ] as const)('roundTo(%p, %s) = %p', (value, rule, expected) => {
    expect(roundTo(value, rule)).toBe(expected);
  });

  it('rejects non-finite factors', () => {
    expect(() => multiply(eur(1), Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('sums, compares and picks extremes', () => {
    expect(sum([eur(100), eur(250), eur(-50)], 'EUR')).toEqual(eur(300));
    expect(sum([], 'USD')).toEqual(money(0, 'USD'));
    expect(compare(eur(1), eur(2))).toBe(-1);
    expect(compare(eur(2), eur(2))).toBe(0);
    expect(compare(eur(3), eur(2))).toBe(1);
    expect(min(eur(3), eur(2))).toEqual(eur(2));
    expect(max(eur(3), eur(2))).toEqual(eur(3));
    expect(equals(eur(1), money(1, 'USD'))).toBe(false);
  });

  it('returns frozen values', () => {
    const m = eur(100);
    expect(Object.isFrozen(m)).toBe(true);
  });
});
