import { decodeCursor, encodeCursor, pageAfter, pageWindow, paginate } from '../src/pagination';

const items = Array.from({ length: 45 }, (_, i) => i + 1);

describe('paginate', () => {
  it('slices pages and describes them', () => {
    expect(paginate(items, 1, 10)).toMatchObject({ items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], totalPages: 5, hasPrevious: false, hasNext: true });
    expect(paginate(items, 5, 10)).toMatchObject({ items: [41, 42, 43, 44, 45], hasPrevious: true, hasNext: false });
  });

  it('returns an empty page past the end', () => {
    expect(paginate(items, 6, 10)).toMatchObject({ items: [], hasNext: false, totalItems: 45 });
  });

  it('has one (empty) page for an empty list', () => {
    expect(paginate([], 1, 10)).toMatchObject({ items: [], totalPages: 1, hasNext: false });
  });

  it.each([
    [0, 10],
    [1, 0],
    [1, 501],
    [1.5, 10],
  ])('rejects page %p with perPage %p', (page, perPage) => {
    expect(() => paginate(items, page, perPage)).toThrow(RangeError);
  });
});

describe('pageWindow', () => {
  it.each([
    [6, 20, [1, null, 4, 5, 6, 7, 8, null, 20]],
    [1, 3, [1, 2, 3]],
    [2, 10, [1, 2, 3, 4, null, 10]],
    [10, 10, [1, null, 8, 9, 10]],
    [1, 1, [1]],
  ])('page %i of %i', (current, total, expected) => {
    expect(pageWindow(current, total)).toEqual(expected);
  });
});

describe('cursors', () => {
  it('round-trip and are URL safe', () => {
    const token = encodeCursor({ sortKey: 'Enamel Mug / blue?', id: 'p_17' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token)).toEqual({ sortKey: 'Enamel Mug / blue?', id: 'p_17' });
  });

  it.each(['', 'not-base64!', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url')])(
    'rejects tampered token %j',
    (token) => {
      expect(() => decodeCursor(token)).toThrow('invalid cursor');
    },
  );

  it('walk a listing without gaps or repeats, even with equal sort keys', () => {
    const products = Array.from({ length: 23 }, (_, i) => ({ id: `p_${String(i).padStart(2, '0')}`, price: Math.floor(i / 4) * 100 }));
    const seen: string[] = [];
    let after: string | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const page = pageAfter(products, (p) => p.price, 5, after);
      seen.push(...page.items.map((p) => p.id));
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual(products.map((p) => p.id));
  });
});
