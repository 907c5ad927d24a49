import { SearchIndex, Searchable, tokenize } from '../src/search';

const products: Searchable[] = [
  { id: 'p1', name: 'Organic Cotton T-Shirt', tags: ['apparel', 'summer'] },
  { id: 'p2', name: 'Enamel Camping Mug', tags: ['kitchen', 'outdoor'] },
  { id: 'p3', name: 'Hooded Sweatshirt (Hoodie)', tags: ['apparel', 'winter'] },
  { id: 'p4', name: 'Crème Brûlée Torch', tags: ['kitchen'] },
  { id: 'p5', name: 'Camping Lantern', tags: ['outdoor'] },
  { id: 'p6', name: 'Cotton Tote Bag', tags: ['accessories'] },
];

describe('tokenize', () => {
  it('lowercases, strips accents and splits on punctuation', () => {
    expect(tokenize('Crème Brûlée — T-Shirt!')).toEqual(['creme', 'brulee', 't', 'shirt']);
    expect(tokenize('   ')).toEqual([]);
  });
});

describe('SearchIndex', () => {
  let index: SearchIndex<Searchable>;
  beforeEach(() => {
    index = new SearchIndex();
    products.forEach((p) => index.add(p));
  });

  const ids = (query: string, options?: { fuzzy?: boolean; limit?: number }) =>
    index.search(query, options).map((p) => p.id);

  it('matches word prefixes', () => {
    expect(ids('camp')).toEqual(['p5', 'p2']); // sorted by name when equally good
    expect(ids('cott')).toEqual(['p6', 'p1']);
  });

  it('requires every term to match', () => {
    expect(ids('cotton bag')).toEqual(['p6']);
    expect(ids('cotton mug')).toEqual([]);
  });

  it('searches tags and ignores accents', () => {
    expect(ids('kitchen')).toEqual(['p4', 'p2']);
    expect(ids('creme brulee')).toEqual(['p4']);
  });

  it('ranks exact word matches above prefix matches', () => {
    index.add({ id: 'p7', name: 'Mugwort Tea' });
    expect(ids('mug')).toEqual(['p2', 'p7']);
  });

  it('tolerates one typo when fuzzy', () => {
    expect(ids('hodie')).toEqual([]);
    expect(ids('hodie', { fuzzy: true })).toEqual(['p3']);
    expect(ids('lantren', { fuzzy: true })).toEqual([]); // a transposition is two edits
  });

  it('limits results', () => {
    expect(ids('apparel', { limit: 1 })).toHaveLength(1);
  });

  it('forgets removed and replaced products', () => {
    expect(index.remove('p5')).toBe(true);
    expect(index.remove('p5')).toBe(false);
    expect(ids('lantern')).toEqual([]);
    index.add({ id: 'p2', name: 'Steel Camping Cup' });
    expect(ids('enamel')).toEqual([]);
    expect(ids('cup')).toEqual(['p2']);
    expect(index.size).toBe(5);
  });

  it('returns nothing for an empty query', () => {
    expect(ids('  ?! ')).toEqual([]);
  });
});
