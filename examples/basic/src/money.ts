/**
 * Money as integer minor units (cents) plus a currency code. All arithmetic
 * stays in integers; rounding is explicit and defaults to banker's rounding.
 */
export type CurrencyCode = 'USD' | 'EUR' | 'GBP' | 'JPY' | 'CHF';

export interface CurrencyInfo {
  readonly decimals: number;
  readonly symbol: string;
}

export const CURRENCIES: Readonly<Record<CurrencyCode, CurrencyInfo>> = {
  USD: { decimals: 2, symbol: '$' },
  EUR: { decimals: 2, symbol: '€' },
  GBP: { decimals: 2, symbol: '£' },
  JPY: { decimals: 0, symbol: '¥' },
  CHF: { decimals: 2, symbol: 'CHF' },
};

export interface Money {
  /** Integer amount in the currency's minor unit. */
  readonly amount: number;
  readonly currency: CurrencyCode;
}

export type Rounding = 'half-even' | 'half-up' | 'floor' | 'ceil';

export class CurrencyMismatchError extends Error {
  constructor(a: CurrencyCode, b: CurrencyCode) {
    super(`currency mismatch: ${a} vs ${b}`);
    this.name = 'CurrencyMismatchError';
  }
}

export function isCurrencyCode(code: string): code is CurrencyCode {
  return Object.prototype.hasOwnProperty.call(CURRENCIES, code);
}

export function money(amount: number, currency: CurrencyCode): Money {
  if (!Number.isSafeInteger(amount)) {
    throw new RangeError(`amount must be a safe integer of minor units, got ${amount}`);
  }
  return Object.freeze({ amount: amount === 0 ? 0 : amount, currency });
}

export function zero(currency: CurrencyCode): Money {
  return money(0, currency);
}

/** Rounds a real number to an integer using the given rule. */
export function roundTo(value: number, rounding: Rounding = 'half-even'): number {
  switch (rounding) {
    case 'floor':
      return Math.floor(value + 1e-9);
    case 'ceil':
      return Math.ceil(value - 1e-9);
    case 'half-up': {
      const sign = value < 0 ? -1 : 1;
      return sign * Math.floor(Math.abs(value) + 0.5 + 1e-9);
    }
    case 'half-even': {
      const floor = Math.floor(value);
      const diff = value - floor;
      if (Math.abs(diff - 0.5) < 1e-9) return floor % 2 === 0 ? floor : floor + 1;
      return Math.round(value);
    }
  }
}

function assertSameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency);
}

export function add(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amount + b.amount, a.currency);
}

export function subtract(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amount - b.amount, a.currency);
}

export function multiply(m: Money, factor: number, rounding: Rounding = 'half-even'): Money {
  if (!Number.isFinite(factor)) throw new RangeError(`factor must be finite, got ${factor}`);
  return money(roundTo(m.amount * factor, rounding), m.currency);
}

export function negate(m: Money): Money {
  return money(-m.amount, m.currency);
}

export function sum(items: readonly Money[], currency: CurrencyCode): Money {
  return items.reduce((acc, m) => add(acc, m), zero(currency));
}

export function compare(a: Money, b: Money): -1 | 0 | 1 {
  assertSameCurrency(a, b);
  return a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0;
}

export function equals(a: Money, b: Money): boolean {
  return a.currency === b.currency && a.amount === b.amount;
}

export function min(a: Money, b: Money): Money {
  return compare(a, b) <= 0 ? a : b;
}

export function max(a: Money, b: Money): Money {
  return compare(a, b) >= 0 ? a : b;
}

/**
 * Splits an amount by integer-or-real ratios without losing a cent: each
 * share is floored, and the remaining units go to the shares with the largest
 * remainders (ties to the earlier share).
 */
export function allocate(m: Money, ratios: readonly number[]): Money[] {
  if (ratios.length === 0) throw new RangeError('allocate needs at least one ratio');
  if (ratios.some((r) => !(r >= 0) || !Number.isFinite(r))) {
    throw new RangeError('ratios must be finite and non-negative');
  }
  const total = ratios.reduce((a, b) => a + b, 0);
  if (total === 0) throw new RangeError('ratios must not all be zero');
  const sign = m.amount < 0 ? -1 : 1;
  const abs = Math.abs(m.amount);
  const exact = ratios.map((r) => (abs * r) / total);
  const shares = exact.map((x) => Math.floor(x + 1e-9));
  let remainder = abs - shares.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, frac: x - Math.floor(x + 1e-9) }))
    .filter(({ i }) => ratios[i]! > 0)
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; remainder > 0; k = (k + 1) % order.length, remainder--) {
    shares[order[k]!.i]! += 1;
  }
  return shares.map((s) => money(sign * s, m.currency));
}

/** Parses a decimal string like "1234.5", "-0.99" or "1,234.56" exactly. */
export function parseMoney(input: string, currency: CurrencyCode): Money {
  const { decimals } = CURRENCIES[currency];
  // Commas are accepted only as thousands separators: "1,234.50", not "12,34".
  const match = /^([+-])?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/.exec(input.trim());
  if (!match) throw new SyntaxError(`not a decimal amount: ${JSON.stringify(input)}`);
  const [, sign, grouped = '', frac = ''] = match;
  const whole = grouped.replace(/,/g, '');
  if (frac.length > decimals) {
    throw new RangeError(`${currency} has ${decimals} decimals, got ${JSON.stringify(input)}`);
  }
  const minor = Number(whole + frac.padEnd(decimals, '0'));
  return money(sign === '-' ? -minor : minor, currency);
}

export function fromMajor(value: number, currency: CurrencyCode): Money {
  const { decimals } = CURRENCIES[currency];
  return money(roundTo(value * 10 ** decimals, 'half-up'), currency);
}

export interface FormatOptions {
  /** 'en' → $1,234.56 ; 'de' → 1.234,56 € ; 'ch' → CHF 1'234.56 */
  locale?: 'en' | 'de' | 'ch';
  /** Show the ISO code instead of the symbol. */
  code?: boolean;
}

export function formatMoney(m: Money, options: FormatOptions = {}): string {
  const locale = options.locale ?? 'en';
  const { decimals, symbol } = CURRENCIES[m.currency];
  const unit = options.code ? m.currency : symbol;
  const abs = Math.abs(m.amount);
  const digits = String(abs).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const frac = decimals > 0 ? digits.slice(digits.length - decimals) : '';
  const group = locale === 'de' ? '.' : locale === 'ch' ? "'" : ',';
  const point = locale === 'de' ? ',' : '.';
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const number = frac ? `${grouped}${point}${frac}` : grouped;
  const sign = m.amount < 0 ? '-' : '';
  if (locale === 'de') return `${sign}${number} ${unit}`;
  if (locale === 'ch' || unit.length > 1) return `${sign}${unit} ${number}`;
  return `${sign}${unit}${number}`;
}
