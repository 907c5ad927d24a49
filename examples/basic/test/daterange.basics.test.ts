import {
  addDays,
  contains,
  eachDay,
  fromDayNumber,
  intersect,
  lengthInDays,
  overlaps,
  range,
  splitByMonth,
  toDayNumber,
  weekday,
} from '../src/dateRange';

describe('calendar dates', () => {
  it('numbers days from the Unix epoch', () => {
    expect(toDayNumber('1970-01-01')).toBe(0);
    expect(toDayNumber('1970-01-02')).toBe(1);
    expect(toDayNumber('1969-12-31')).toBe(-1);
    expect(fromDayNumber(toDayNumber('2024-02-29'))).toBe('2024-02-29');
  });

  it.each(['2023-02-29', '2024-13-01', '2024-04-31', '2024-00-10'])('rejects impossible date %s', (iso) => {
    expect(() => toDayNumber(iso)).toThrow(RangeError);
  });

  it.each(['24-01-01', '2024-1-1', '2024/01/01', '2024-01-01T00:00:00Z'])('rejects malformed date %s', (iso) => {
    expect(() => toDayNumber(iso)).toThrow(SyntaxError);
  });

  it('adds days across months, years and leap days', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2024-01-31', 30)).toBe('2024-03-01');
  });

  it('knows the day of the week', () => {
    expect(weekday('2024-01-01')).toBe(1); // Monday
    expect(weekday('1970-01-01')).toBe(4); // Thursday
    expect(weekday('1969-12-28')).toBe(0); // Sunday
  });
});

describe('date ranges', () => {
  const q1 = range('2024-01-01', '2024-03-31');

  it('are inclusive on both ends', () => {
    expect(lengthInDays(q1)).toBe(31 + 29 + 31);
    expect(lengthInDays(range('2024-05-05', '2024-05-05'))).toBe(1);
    expect(contains(q1, '2024-03-31')).toBe(true);
    expect(contains(q1, '2024-04-01')).toBe(false);
  });

  it('must not end before they start', () => {
    expect(() => range('2024-02-02', '2024-02-01')).toThrow('range ends before it starts');
  });

  it('overlap when they share at least one day', () => {
    expect(overlaps(range('2024-01-01', '2024-01-10'), range('2024-01-10', '2024-01-20'))).toBe(true);
    expect(overlaps(range('2024-01-01', '2024-01-09'), range('2024-01-10', '2024-01-20'))).toBe(false);
  });

  it('intersect', () => {
    expect(intersect(q1, range('2024-03-15', '2024-04-15'))).toEqual({ start: '2024-03-15', end: '2024-03-31' });
    expect(intersect(q1, range('2025-01-01', '2025-01-02'))).toBeNull();
  });

  it('iterate day by day', () => {
    expect([...eachDay(range('2024-02-27', '2024-03-02'))]).toEqual([
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
      '2024-03-02',
    ]);
  });

  it('split at month boundaries', () => {
    expect(splitByMonth(range('2024-01-20', '2024-03-05'))).toEqual([
      { start: '2024-01-20', end: '2024-01-31' },
      { start: '2024-02-01', end: '2024-02-29' },
      { start: '2024-03-01', end: '2024-03-05' },
    ]);
    expect(splitByMonth(range('2024-12-31', '2025-01-01'))).toHaveLength(2);
  });
});
