/** Offset pages for listings and opaque cursors for APIs. */
export interface Page<T> {
  readonly items: T[];
  readonly page: number;
  readonly perPage: number;
  readonly totalItems: number;
  readonly totalPages: number;
  readonly hasPrevious: boolean;
  readonly hasNext: boolean;
}

export function paginate<T>(items: readonly T[], page: number, perPage: number): Page<T> {
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 500) throw new RangeError('perPage must be in [1, 500]');
  if (!Number.isInteger(page) || page < 1) throw new RangeError('page must be a positive integer');
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const start = (page - 1) * perPage;
  return {
    items: items.slice(start, start + perPage),
    page,
    perPage,
    totalItems: items.length,
    totalPages,
    hasPrevious: page > 1,
    hasNext: page < totalPages,
  };
}

/** Page numbers to show, with null for a gap: 1 … 4 5 [6] 7 8 … 20 */
export function pageWindow(current: number, total: number, radius = 2): Array<number | null> {
  const pages = new Set<number>([1, total]);
  for (let p = current - radius; p <= current + radius; p++) if (p >= 1 && p <= total) pages.add(p);
  const sorted = [...pages].sort((a, b) => a - b);
  const out: Array<number | null> = [];
  sorted.forEach((p, i) => {
    if (i > 0 && p - sorted[i - 1]! > 1) out.push(null);
    out.push(p);
  });
  return out;
}

export interface Cursor {
  readonly sortKey: string | number;
  readonly id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sortKey, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(token: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      (typeof parsed[0] === 'string' || typeof parsed[0] === 'number') &&
      typeof parsed[1] === 'string'
    ) {
      return { sortKey: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw new SyntaxError('invalid cursor');
}

/** Keyset pagination over items sorted by (sortKey, id). */
export function pageAfter<T extends { id: string }>(
  sorted: readonly T[],
  sortKey: (item: T) => string | number,
  limit: number,
  after?: string,
): { items: T[]; next: string | null } {
  let start = 0;
  if (after) {
    const c = decodeCursor(after);
    const cmp = (item: T) => {
      const k = sortKey(item);
      return k < c.sortKey ? -1 : k > c.sortKey ? 1 : item.id < c.id ? -1 : item.id > c.id ? 1 : 0;
    };
    while (start < sorted.length && cmp(sorted[start]!) <= 0) start++;
  }
  const items = sorted.slice(start, start + limit);
  const last = items[items.length - 1];
  const next = last && start + limit < sorted.length ? encodeCursor({ sortKey: sortKey(last), id: last.id }) : null;
  return { items, next };
}
