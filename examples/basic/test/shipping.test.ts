import { money } from '../src/money';
import { NotShippableError, ShippingTable, packParcels, quote, zoneFor } from '../src/shipping';

const table: ShippingTable = {
  currency: 'EUR',
  freeDomesticFrom: 5000,
  brackets: {
    domestic: [
      { upToGrams: 2000, price: 495 },
      { upToGrams: 500, price: 295 }, // out of order on purpose
      { upToGrams: 10000, price: 895 },
    ],
    europe: [
      { upToGrams: 1000, price: 1290 },
      { upToGrams: 5000, price: 1990 },
    ],
    world: [{ upToGrams: 2000, price: 3490 }],
  },
};

describe('shipping', () => {
  it('finds the zone from the destination country', () => {
    expect(zoneFor('DE', 'de')).toBe('domestic');
    expect(zoneFor('DE', 'FR')).toBe('europe');
    expect(zoneFor('DE', 'US')).toBe('world');
    expect(() => zoneFor('DE', 'Germany')).toThrow(SyntaxError);
  });

  it.each([
    ['domestic', 0, 295],
    ['domestic', 500, 295],
    ['domestic', 501, 495],
    ['domestic', 9999, 895],
    ['europe', 1000, 1290],
    ['europe', 4200, 1990],
    ['world', 1800, 3490],
  ] as const)('%s parcel of %i g costs %i', (zone, grams, price) => {
    expect(quote(table, zone, grams, money(1000, 'EUR'))).toEqual(money(price, 'EUR'));
  });

  it('ships domestic orders free above the threshold, but not abroad', () => {
    expect(quote(table, 'domestic', 9000, money(5000, 'EUR')).amount).toBe(0);
    expect(quote(table, 'europe', 900, money(50000, 'EUR')).amount).toBe(1290);
  });

  it('refuses parcels heavier than the last bracket', () => {
    expect(() => quote(table, 'world', 2500, money(1, 'EUR'))).toThrow(NotShippableError);
    expect(() => quote(table, 'world', -1, money(1, 'EUR'))).toThrow(RangeError);
  });

  it('packs items into as few parcels as first-fit decreasing finds', () => {
    expect(packParcels([400, 1200, 300, 800, 700, 100], 2000)).toEqual([
      [1200, 800],
      [700, 400, 300, 100],
    ]);
    expect(packParcels([], 2000)).toEqual([]);
    expect(() => packParcels([2500], 2000)).toThrow('exceeds the parcel limit');
  });
});
