import { wordWrap } from '../src/text';

describe('wordWrap', () => {
  it('wraps greedily', () => {
    expect(wordWrap('The quick brown fox jumps over the lazy dog', 10)).toEqual([
      'The quick',
      'brown fox',
      'jumps over',
      'the lazy',
      'dog',
    ]);
  });

  it('splits words longer than the width', () => {
    expect(wordWrap('abcdefghijkl mn', 5)).toEqual(['abcde', 'fghij', 'kl mn']);
  });

  it('keeps paragraphs and blank lines', () => {
    expect(wordWrap('a b\n\nc', 10)).toEqual(['a b', '', 'c']);
  });

  it('collapses runs of whitespace', () => {
    expect(wordWrap('  a    b  ', 10)).toEqual(['a b']);
  });

  it('never loses or reorders words and respects the width', () => {
    const text =
      'Our enamel mugs are made in a small workshop in Portugal. Each one is dipped by hand, so no two are exactly alike.';
    for (const width of [12, 20, 33, 80]) {
      const lines = wordWrap(text, width);
      expect(lines.every((l) => l.length <= width)).toBe(true);
      expect(lines.join(' ').split(' ')).toEqual(text.split(' '));
    }
  });

  it.each([0, -1, 2.5])('rejects width %p', (w) => {
    expect(() => wordWrap('x', w)).toThrow(RangeError);
  });
});
