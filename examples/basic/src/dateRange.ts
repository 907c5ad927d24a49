/**
 * Calendar-date ranges (no time of day, no time zones): ISO "YYYY-MM-DD"
 * strings in, ISO strings out. Ranges are inclusive on both ends.
 */
export interface DateRange {
  readonly start: string;
  readonly end: string;
}

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Day number → 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
const dayOfWeek = (day: number): number => (((day + 4) % 7) + 7) % 7;
const isWeekend = (day: number): boolean => dayOfWeek(day) === 0 || dayOfWeek(day) === 6;

/** Days since 1970-01-01 for a valid ISO date; throws otherwise. */
export function toDayNumber(iso: string): number {
  const m = ISO_DATE.exec(iso);
  if (!m) throw new SyntaxError(`not an ISO date: ${JSON.stringify(iso)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`no such date: ${iso}`);
  }
  return Math.round(ms / DAY_MS);
}

export function fromDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(iso: string, days: number): string {
  return fromDayNumber(toDayNumber(iso) + days);
}

/** 0 = Sunday … 6 = Saturday */
export function weekday(iso: string): number {
  return dayOfWeek(toDayNumber(iso));
}

export function range(start: string, end: string): DateRange {
  if (toDayNumber(end) < toDayNumber(start)) throw new RangeError(`range ends before it starts: ${start}..${end}`);
  return { start, end };
}

export function lengthInDays(r: DateRange): number {
  return toDayNumber(r.end) - toDayNumber(r.start) + 1;
}

export function contains(r: DateRange, iso: string): boolean {
  const d = toDayNumber(iso);
  return d >= toDayNumber(r.start) && d <= toDayNumber(r.end);
}

export function overlaps(a: DateRange, b: DateRange): boolean {
  return toDayNumber(a.start) <= toDayNumber(b.end) && toDayNumber(b.start) <= toDayNumber(a.end);
}

export function intersect(a: DateRange, b: DateRange): DateRange | null {
  if (!overlaps(a, b)) return null;
  const start = Math.max(toDayNumber(a.start), toDayNumber(b.start));
  const end = Math.min(toDayNumber(a.end), toDayNumber(b.end));
  return { start: fromDayNumber(start), end: fromDayNumber(end) };
}

/** Sorts and merges overlapping or touching ranges (e.g. 1-3 and 4-6 → 1-6). */
export function mergeRanges(ranges: readonly DateRange[]): DateRange[] {
  const sorted = ranges
    .map((r) => [toDayNumber(r.start), toDayNumber(r.end)] as [number, number])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out.map(([s, e]) => ({ start: fromDayNumber(s), end: fromDayNumber(e) }));
}

/** The parts of `r` not covered by any of `holes`. */
export function subtractRanges(r: DateRange, holes: readonly DateRange[]): DateRange[] {
  const out: DateRange[] = [];
  let cursor = toDayNumber(r.start);
  const end = toDayNumber(r.end);
  for (const h of mergeRanges(holes)) {
    const hs = toDayNumber(h.start);
    const he = toDayNumber(h.end);
    if (he < cursor || hs > end) continue;
    if (hs > cursor) out.push({ start: fromDayNumber(cursor), end: fromDayNumber(hs - 1) });
    cursor = Math.max(cursor, he + 1);
  }
  if (cursor <= end) out.push({ start: fromDayNumber(cursor), end: fromDayNumber(end) });
  return out;
}

export function* eachDay(r: DateRange): Generator<string> {
  const end = toDayNumber(r.end);
  for (let d = toDayNumber(r.start); d <= end; d++) yield fromDayNumber(d);
}

/** Monday-to-Friday days in the range that are not holidays. */
export function businessDays(r: DateRange, holidays: readonly string[] = []): number {
  const skip = new Set(holidays.map((h) => toDayNumber(h)));
  let n = 0;
  const end = toDayNumber(r.end);
  for (let d = toDayNumber(r.start); d <= end; d++) {
    if (!isWeekend(d) && !skip.has(d)) n++;
  }
  return n;
}

/** The business day `n` business days after `iso` (delivery estimates). */
export function addBusinessDays(iso: string, n: number, holidays: readonly string[] = []): string {
  if (!Number.isInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer');
  const skip = new Set(holidays.map((h) => toDayNumber(h)));
  let d = toDayNumber(iso);
  let left = n;
  while (left > 0) {
    d++;
    if (!isWeekend(d) && !skip.has(d)) left--;
  }
  return fromDayNumber(d);
}

/** Splits a range at month boundaries (for monthly reports). */
export function splitByMonth(r: DateRange): DateRange[] {
  const out: DateRange[] = [];
  let start = r.start;
  const end = toDayNumber(r.end);
  while (toDayNumber(start) <= end) {
    const [y, m] = start.split('-').map(Number) as [number, number];
    const monthEnd = fromDayNumber(Math.round(Date.UTC(y, m, 0) / DAY_MS));
    const stop = Math.min(toDayNumber(monthEnd), end);
    out.push({ start, end: fromDayNumber(stop) });
    start = fromDayNumber(stop + 1);
  }
  return out;
}
