import { truncate } from '../src/text';

describe('truncate', () => {
  it('leaves short text alone', () => {
    expect(truncate('Enamel mug', 20)).toBe('Enamel mug');
    expect(truncate('exactly ten', 11)).toBe('exactly ten');
  });

  it('cuts at the last word boundary that fits', () => {
    expect(truncate('Organic cotton t-shirt in navy blue', 20)).toBe('Organic cotton…');
  });

  it('drops trailing punctuation before the ellipsis', () => {
    expect(truncate('Fast, cheap, good: pick two', 13)).toBe('Fast, cheap…');
  });

  it('hard-cuts a single long word', () => {
    expect(truncate('Supercalifragilistic', 10)).toBe('Supercali…');
  });

  it('supports a custom ellipsis', () => {
    expect(truncate('one two three four', 12, '...')).toBe('one two...');
  });

  it('counts emoji as one character each', () => {
    expect(truncate('🍕🍕🍕🍕🍕', 3)).toBe('🍕🍕…');
  });

  it('never exceeds the limit', () => {
    const text = 'A sturdy enamel mug for camping, hiking and slow Sunday mornings at home.';
    for (let max = 1; max <= text.length + 2; max++) {
      expect([...truncate(text, max)].length).toBeLessThanOrEqual(max);
    }
  });

  it('needs room for the ellipsis', () => {
    expect(() => truncate('abc', 2, '...')).toThrow(RangeError);
  });
});
