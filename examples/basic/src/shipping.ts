/** Shipping quotes by zone and weight bracket, with a free-shipping threshold. */
import { Money, money, CurrencyCode } from './money';

export type Zone = 'domestic' | 'europe' | 'world';

export interface Bracket {
  /** Inclusive upper bound in grams. */
  readonly upToGrams: number;
  /** Price in minor units. */
  readonly price: number;
}

export interface ShippingTable {
  readonly currency: CurrencyCode;
  readonly brackets: Readonly<Record<Zone, readonly Bracket[]>>;
  /** Orders with a subtotal at or above this ship free (domestic only). */
  readonly freeDomesticFrom?: number;
}

export const EU_COUNTRIES = new Set(['AT', 'BE', 'DE', 'DK', 'ES', 'FI', 'FR', 'IE', 'IT', 'NL', 'PL', 'PT', 'SE']);

export function zoneFor(homeCountry: string, destination: string): Zone {
  const dest = destination.toUpperCase();
  if (!/^[A-Z]{2}$/.test(dest)) throw new SyntaxError(`not an ISO country code: ${destination}`);
  if (dest === homeCountry.toUpperCase()) return 'domestic';
  return EU_COUNTRIES.has(dest) ? 'europe' : 'world';
}

export class NotShippableError extends Error {
  constructor(grams: number, zone: Zone) {
    super(`a parcel of ${grams} g cannot be shipped to zone ${zone}`);
    this.name = 'NotShippableError';
  }
}

export function quote(table: ShippingTable, zone: Zone, grams: number, subtotal: Money): Money {
  if (!(grams >= 0)) throw new RangeError('weight must be non-negative');
  if (zone === 'domestic' && table.freeDomesticFrom !== undefined && subtotal.amount >= table.freeDomesticFrom) {
    return money(0, table.currency);
  }
  const brackets = [...table.brackets[zone]].sort((a, b) => a.upToGrams - b.upToGrams);
  const bracket = brackets.find((b) => grams <= b.upToGrams);
  if (!bracket) throw new NotShippableError(grams, zone);
  return money(bracket.price, table.currency);
}

/** Splits a heavy order into parcels of at most maxGrams each, heaviest first. */
export function packParcels(itemGrams: readonly number[], maxGrams: number): number[][] {
  const parcels: { total: number; items: number[] }[] = [];
  for (const g of [...itemGrams].sort((a, b) => b - a)) {
    if (g > maxGrams) throw new RangeError(`an item of ${g} g exceeds the parcel limit of ${maxGrams} g`);
    const fit = parcels.find((p) => p.total + g <= maxGrams); // first fit decreasing
    if (fit) {
      fit.total += g;
      fit.items.push(g);
    } else parcels.push({ total: g, items: [g] });
  }
  return parcels.map((p) => p.items);
}
