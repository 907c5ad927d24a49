/**
 * Merging and subtracting generated booking ranges, checked day by day
 * against a plain set of covered days.
 */
import { DateRange, eachDay, fromDayNumber, mergeRanges, subtractRanges, toDayNumber } from '../src/dateRange';
import { createRng, Rng } from '../src/random';

const ROUNDS = 500;
const BASE = toDayNumber('2024-01-01');

function randomRanges(rng: Rng, count: number): DateRange[] {
  return Array.from({ length: count }, () => {
    const start = BASE + rng.int(0, 365);
    return { start: fromDayNumber(start), end: fromDayNumber(start + rng.int(0, 20)) };
  });
}

function coveredDays(ranges: readonly DateRange[]): Set<string> {
  const days = new Set<string>();
  for (const r of ranges) for (const d of eachDay(r)) days.add(d);
  return days;
}

describe('date range algebra (generated ranges)', () => {
  const rng = createRng(99);

  it('mergeRanges covers exactly the same days with sorted, separated ranges', () => {
    for (let n = 0; n < ROUNDS; n++) {
      const ranges = randomRanges(rng, rng.int(0, 25));
      const merged = mergeRanges(ranges);
      expect(coveredDays(merged)).toEqual(coveredDays(ranges));
      for (let i = 1; i < merged.length; i++) {
        // at least one free day between consecutive merged ranges
        expect(toDayNumber(merged[i]!.start) - toDayNumber(merged[i - 1]!.end)).toBeGreaterThan(1);
      }
    }
  });

  it('subtractRanges leaves exactly the days not in any hole', () => {
    for (let n = 0; n < ROUNDS; n++) {
      const [whole] = randomRanges(rng, 1);
      const holes = randomRanges(rng, rng.int(0, 10));
      const left = coveredDays(subtractRanges(whole!, holes));
      const holeDays = coveredDays(holes);
      const expected = new Set([...eachDay(whole!)].filter((d) => !holeDays.has(d)));
      expect(left).toEqual(expected);
    }
  });
});
