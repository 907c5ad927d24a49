import { levenshtein } from '../src/text';

describe('levenshtein', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['same', 'same', 0],
    ['gumbo', 'gambol', 2],
    ['hoodie', 'hodie', 1],
    ['mug', 'mugs', 1],
  ])('distance(%j, %j) = %i', (a, b, d) => {
    expect(levenshtein(a, b)).toBe(d);
  });

  it('is symmetric and bounded by the longer length', () => {
    const words = ['mug', 'mugs', 'hug', 'enamel', 'camel', 'tshirt', 'shirt', ''];
    for (const a of words) {
      for (const b of words) {
        const d = levenshtein(a, b);
        expect(d).toBe(levenshtein(b, a));
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(d).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      }
    }
  });
});
