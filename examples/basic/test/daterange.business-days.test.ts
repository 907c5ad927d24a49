import { addBusinessDays, businessDays, range } from '../src/dateRange';

describe('business days', () => {
  it('counts Monday to Friday', () => {
    expect(businessDays(range('2024-01-01', '2024-01-07'))).toBe(5);
    expect(businessDays(range('2024-01-06', '2024-01-07'))).toBe(0); // a weekend
    expect(businessDays(range('2024-02-01', '2024-02-29'))).toBe(21);
  });

  it('skips holidays', () => {
    expect(businessDays(range('2024-01-01', '2024-01-07'), ['2024-01-01'])).toBe(4);
    // a holiday on a Saturday changes nothing
    expect(businessDays(range('2024-01-01', '2024-01-07'), ['2024-01-06'])).toBe(5);
  });

  it('estimates delivery dates over weekends', () => {
    expect(addBusinessDays('2024-01-05', 1)).toBe('2024-01-08'); // Friday → Monday
    expect(addBusinessDays('2024-01-06', 1)).toBe('2024-01-08'); // Saturday → Monday
    expect(addBusinessDays('2024-01-01', 5)).toBe('2024-01-08');
  });

  it('estimates delivery dates over holidays', () => {
    expect(addBusinessDays('2024-12-23', 3, ['2024-12-25', '2024-12-26'])).toBe('2024-12-30');
  });

  it('adding zero days is a no-op', () => {
    expect(addBusinessDays('2024-01-06', 0)).toBe('2024-01-06');
  });

  it('rejects negative or fractional counts', () => {
    expect(() => addBusinessDays('2024-01-01', -1)).toThrow(RangeError);
    expect(() => addBusinessDays('2024-01-01', 1.5)).toThrow(RangeError);
  });
});
