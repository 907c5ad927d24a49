import { slugify } from '../src/text';

describe('slugify', () => {
  it.each([
    ['Hello, World!', 'hello-world'],
    ['Crème Brûlée — 2 for 1!', 'creme-brulee-2-for-1'],
    ['Straße', 'strasse'],
    ['Salt & Pepper', 'salt-and-pepper'],
    ['  --Already-Slugged--  ', 'already-slugged'],
    ['Ærøskøbing', 'aeroskobing'],
    ['Jalapeño  Poppers', 'jalapeno-poppers'],
    ['100% Cotton (Navy)', '100-cotton-navy'],
    ['ﬁne ligatures', 'fine-ligatures'],
  ])('%j → %j', (input, expected) => {
    expect(slugify(input)).toBe(expected);
  });

  it('returns an empty slug when nothing latin is left', () => {
    expect(slugify('日本語')).toBe('');
    expect(slugify('!!!')).toBe('');
  });

  it('cuts long slugs at a word boundary', () => {
    expect(slugify('the quick brown fox jumps over the lazy dog', 20)).toBe('the-quick-brown-fox');
    expect(slugify('the quick brown fox', 19)).toBe('the-quick-brown-fox');
  });

  it('hard-cuts a single long word', () => {
    expect(slugify('a'.repeat(100), 10)).toBe('a'.repeat(10));
  });
});
