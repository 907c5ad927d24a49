import { pluralize, titleCase } from '../src/text';

describe('titleCase', () => {
  it.each([
    ['the lord of the rings', 'The Lord of the Rings'],
    ['a tale of two cities', 'A Tale of Two Cities'],
    ['what it is for', 'What It Is For'],
    ['USB cable for iPhone15', 'USB Cable for iPhone15'],
    ['long-sleeve shirt', 'Long-Sleeve Shirt'],
    ['  extra   spaces  ', 'Extra Spaces'],
    ['enamel MUG', 'Enamel MUG'],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(titleCase(input)).toBe(expected);
  });

  it('keeps words that are already in capitals (acronyms)', () => {
    expect(titleCase('NASA mission patch')).toBe('NASA Mission Patch');
  });
});

describe('pluralize', () => {
  it('picks singular or plural', () => {
    expect(pluralize(1, 'item')).toBe('1 item');
    expect(pluralize(0, 'item')).toBe('0 items');
    expect(pluralize(3, 'box', 'boxes')).toBe('3 boxes');
  });
});
