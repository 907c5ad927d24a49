/**
 * The inverted index against a brute-force scan over a generated catalog of
 * thousands of products: same results for every query, before and after
 * products are removed or renamed.
 */
import { createRng, Rng } from '../src/random';
import { SearchIndex, Searchable, tokenize } from '../src/search';

const PRODUCTS = 6_000;
const QUERIES = 1_200;
const ADJECTIVES = ['organic', 'enamel', 'vintage', 'waterproof', 'compact', 'handmade', 'recycled', 'wool', 'linen', 'bamboo', 'steel', 'ceramic'];
const NOUNS = ['mug', 'shirt', 'hoodie', 'lantern', 'tote', 'poster', 'notebook', 'bottle', 'blanket', 'scarf', 'teapot', 'backpack'];
const COLOURS = ['navy', 'olive', 'sand', 'coral', 'charcoal', 'mustard', 'teal', 'cream'];
const TAGS = ['summer', 'winter', 'kitchen', 'outdoor', 'office', 'gift', 'sale', 'new'];

function generateCatalog(rng: Rng): Searchable[] {
  return Array.from({ length: PRODUCTS }, (_, i) => ({
    id: `p${String(i).padStart(5, '0')}`,
    name: `${rng.pick(ADJECTIVES)} ${rng.pick(COLOURS)} ${rng.pick(NOUNS)}${rng.chance(0.3) ? ` ${rng.int(1, 99)}` : ''}`,
    tags: Array.from({ length: rng.int(0, 3) }, () => rng.pick(TAGS)),
  }));
}

function randomQuery(rng: Rng): string {
  const vocab = [...ADJECTIVES, ...NOUNS, ...COLOURS, ...TAGS];
  return Array.from({ length: rng.int(1, 3) }, () => {
    const word = rng.pick(vocab);
    return word.slice(0, rng.int(1, word.length)); // a prefix, as typed so far
  }).join(' ');
}

const tokenCache = new WeakMap<Searchable, string[]>();
const tokensOf = (p: Searchable): string[] => {
  let tokens = tokenCache.get(p);
  if (!tokens) {
    tokens = [...tokenize(p.name), ...(p.tags ?? []).flatMap(tokenize)];
    tokenCache.set(p, tokens);
  }
  return tokens;
};

/** The obviously-correct implementation: scan everything. */
function bruteForce(products: Iterable<Searchable>, query: string): Set<string> {
  const terms = tokenize(query);
  const hits = new Set<string>();
  for (const p of products) {
    const tokens = tokensOf(p);
    if (terms.length > 0 && terms.every((t) => tokens.some((tok) => tok.startsWith(t)))) hits.add(p.id);
  }
  return hits;
}

function assertSame(index: SearchIndex<Searchable>, products: Map<string, Searchable>, query: string) {
  const got = new Set(index.search(query, { limit: Number.POSITIVE_INFINITY }).map((p) => p.id));
  const want = bruteForce(products.values(), query);
  if (got.size !== want.size || [...want].some((id) => !got.has(id))) {
    throw new Error(`query ${JSON.stringify(query)}: index found ${got.size}, scan found ${want.size}`);
  }
}

describe('search index vs brute force (generated catalog)', () => {
  const rng = createRng(31337);
  const catalog = generateCatalog(rng);
  const live = new Map(catalog.map((p) => [p.id, p]));
  const index = new SearchIndex<Searchable>();
  catalog.forEach((p) => index.add(p));

  it('finds exactly what a full scan finds', () => {
    for (let q = 0; q < QUERIES; q++) assertSame(index, live, randomQuery(rng));
  });

  it('still agrees after a quarter of the catalog is removed and some products renamed', () => {
    for (const p of catalog) {
      if (rng.chance(0.25)) {
        index.remove(p.id);
        live.delete(p.id);
      } else if (rng.chance(0.1)) {
        const renamed = { ...p, name: `${p.name} ${rng.pick(['deluxe', 'mini', 'xl'])}` };
        index.add(renamed);
        live.set(p.id, renamed);
      }
    }
    expect(index.size).toBe(live.size);
    for (let q = 0; q < QUERIES / 2; q++) assertSame(index, live, randomQuery(rng));
    assertSame(index, live, 'deluxe');
  });

  it('ranks exact word matches first', () => {
    for (let q = 0; q < 200; q++) {
      const term = rng.pick(NOUNS);
      const results = index.search(term, { limit: 50 });
      const exact = results.map((p) => tokenize(p.name).includes(term) || (p.tags ?? []).includes(term));
      // once a prefix-only match appears, no exact match may follow it
      const firstPrefixOnly = exact.indexOf(false);
      if (firstPrefixOnly >= 0) expect(exact.slice(firstPrefixOnly).every((e) => !e)).toBe(true);
    }
  });
});
