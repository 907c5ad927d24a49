import { formatMoney, money } from '../src/money';

describe('formatMoney', () => {
  it.each([
    [money(123456, 'USD'), {}, '$1,234.56'],
    [money(-5, 'USD'), {}, '-$0.05'],
    [money(0, 'GBP'), {}, '£0.00'],
    [money(1500, 'JPY'), {}, '¥1,500'],
    [money(100000000000, 'USD'), {}, '$1,000,000,000.00'],
    [money(1200, 'CHF'), {}, 'CHF 12.00'],
    [money(100, 'USD'), { code: true }, 'USD 1.00'],
    [money(123456, 'EUR'), { locale: 'de' }, '1.234,56 €'],
    [money(-99, 'EUR'), { locale: 'de' }, '-0,99 €'],
    [money(123456789, 'CHF'), { locale: 'ch' }, "CHF 1'234'567.89"],
    [money(999, 'EUR'), { locale: 'de', code: true }, '9,99 EUR'],
  ] as const)('formats %j with %j as %s', (m, options, expected) => {
    expect(formatMoney(m, options)).toBe(expected);
  });

  it('pads sub-unit amounts with leading zeros', () => {
    expect(formatMoney(money(7, 'EUR'))).toBe('€0.07');
    expect(formatMoney(money(70, 'EUR'))).toBe('€0.70');
  });

  it('groups only the integer part', () => {
    expect(formatMoney(money(100000, 'USD'))).toBe('$1,000.00');
    expect(formatMoney(money(99999, 'USD'))).toBe('$999.99');
  });
});
