import { fromMajor, isCurrencyCode, money, parseMoney } from '../src/money';

describe('parseMoney', () => {
  it.each([
    ['12.34', 'USD', 1234],
    ['1,234.5', 'USD', 123450],
    ['-0.99', 'EUR', -99],
    [' 7 ', 'GBP', 700],
    ['+3.10', 'CHF', 310],
    ['1500', 'JPY', 1500],
    ['0', 'EUR', 0],
  ] as const)('parses %j as %s %i', (input, currency, minor) => {
    expect(parseMoney(input, currency)).toEqual(money(minor, currency));
  });

  it('refuses more decimals than the currency has', () => {
    expect(() => parseMoney('12.345', 'USD')).toThrow('USD has 2 decimals');
    expect(() => parseMoney('12.5', 'JPY')).toThrow(RangeError);
  });

  it.each(['abc', '', '1.2.3', '12,34', '1,2345', '$12', '1e3', '.5'])('rejects %j', (input) => {
    expect(() => parseMoney(input, 'USD')).toThrow(SyntaxError);
  });
});

describe('fromMajor', () => {
  it('converts floats to minor units without drifting', () => {
    expect(fromMajor(19.99, 'USD').amount).toBe(1999); // 1998.9999999999998
    expect(fromMajor(0.1 + 0.2, 'EUR').amount).toBe(30);
    expect(fromMajor(1234, 'JPY').amount).toBe(1234);
    expect(fromMajor(-12.5, 'EUR').amount).toBe(-1250);
  });
});

describe('isCurrencyCode', () => {
  it('knows the supported currencies only', () => {
    expect(isCurrencyCode('EUR')).toBe(true);
    expect(isCurrencyCode('eur')).toBe(false);
    expect(isCurrencyCode('XYZ')).toBe(false);
    expect(isCurrencyCode('toString')).toBe(false);
  });
});
