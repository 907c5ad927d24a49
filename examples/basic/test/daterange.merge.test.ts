import { mergeRanges, range, subtractRanges } from '../src/dateRange';

describe('mergeRanges', () => {
  it('merges overlapping and touching ranges, in any order', () => {
    expect(
      mergeRanges([
        range('2024-03-10', '2024-03-12'),
        range('2024-03-01', '2024-03-03'),
        range('2024-03-04', '2024-03-06'), // touches the previous one
        range('2024-03-11', '2024-03-20'), // overlaps the first
      ]),
    ).toEqual([
      { start: '2024-03-01', end: '2024-03-06' },
      { start: '2024-03-10', end: '2024-03-20' },
    ]);
  });

  it('swallows contained ranges', () => {
    expect(mergeRanges([range('2024-01-01', '2024-12-31'), range('2024-06-01', '2024-06-02')])).toEqual([
      { start: '2024-01-01', end: '2024-12-31' },
    ]);
  });

  it('keeps a one-day gap', () => {
    expect(mergeRanges([range('2024-01-01', '2024-01-02'), range('2024-01-04', '2024-01-05')])).toHaveLength(2);
  });

  it('handles nothing', () => {
    expect(mergeRanges([])).toEqual([]);
  });
});

describe('subtractRanges', () => {
  const july = range('2024-07-01', '2024-07-31');

  it('cuts holes out of a range (bookable days minus blackouts)', () => {
    expect(
      subtractRanges(july, [range('2024-07-10', '2024-07-12'), range('2024-06-20', '2024-07-02'), range('2024-07-30', '2024-08-05')]),
    ).toEqual([
      { start: '2024-07-03', end: '2024-07-09' },
      { start: '2024-07-13', end: '2024-07-29' },
    ]);
  });

  it('returns the whole range when nothing overlaps', () => {
    expect(subtractRanges(july, [range('2024-09-01', '2024-09-02')])).toEqual([july]);
  });

  it('returns nothing when fully covered', () => {
    expect(subtractRanges(july, [range('2024-06-01', '2024-08-01')])).toEqual([]);
  });
});
