/**
 * Product search: an inverted index over normalised tokens. A query matches
 * a product when every query term is a prefix of one of its tokens (or, with
 * `fuzzy`, within one edit of a token). Results are ranked by how many
 * query terms match exactly, then by name.
 */
import { levenshtein } from './text';

export interface Searchable {
  readonly id: string;
  readonly name: string;
  readonly tags?: readonly string[];
}

export function tokenize(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

export interface SearchOptions {
  limit?: number;
  fuzzy?: boolean;
}

export class SearchIndex<T extends Searchable> {
  private readonly docs = new Map<string, T>();
  private readonly postings = new Map<string, Set<string>>();
  private sortedTokens: string[] | null = null;

  add(doc: T): void {
    if (this.docs.has(doc.id)) this.remove(doc.id);
    this.docs.set(doc.id, doc);
    for (const token of this.tokensOf(doc)) {
      let set = this.postings.get(token);
      if (!set) {
        set = new Set();
        this.postings.set(token, set);
        this.sortedTokens = null;
      }
      set.add(doc.id);
    }
  }

  remove(id: string): boolean {
    const doc = this.docs.get(id);
    if (!doc) return false;
    for (const token of this.tokensOf(doc)) {
      const set = this.postings.get(token);
      set?.delete(id);
      if (set && set.size === 0) {
        this.postings.delete(token);
        this.sortedTokens = null;
      }
    }
    this.docs.delete(id);
    return true;
  }

  get size(): number {
    return this.docs.size;
  }

  search(query: string, options: SearchOptions = {}): T[] {
    const terms = [...new Set(tokenize(query))];
    if (terms.length === 0) return [];
    let candidates: Set<string> | undefined;
    const exactHits = new Map<string, number>();
    for (const term of terms) {
      const ids = new Set<string>();
      for (const token of this.tokensMatching(term, options.fuzzy ?? false)) {
        for (const id of this.postings.get(token)!) {
          ids.add(id);
          if (token === term) exactHits.set(id, (exactHits.get(id) ?? 0) + 1);
        }
      }
      const previous: Set<string> | undefined = candidates;
      candidates = previous ? new Set([...previous].filter((id) => ids.has(id))) : ids;
      if (candidates.size === 0) return [];
    }
    const results = [...candidates!].map((id) => this.docs.get(id)!);
    results.sort(
      (a, b) =>
        (exactHits.get(b.id) ?? 0) - (exactHits.get(a.id) ?? 0) ||
        a.name.localeCompare(b.name) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    return results.slice(0, options.limit ?? 20);
  }

  private tokensOf(doc: T): Set<string> {
    return new Set([...tokenize(doc.name), ...(doc.tags ?? []).flatMap(tokenize)]);
  }

  /** Tokens with `term` as prefix (binary search on the sorted vocabulary). */
  private tokensMatching(term: string, fuzzy: boolean): string[] {
    if (!this.sortedTokens) this.sortedTokens = [...this.postings.keys()].sort();
    const tokens = this.sortedTokens;
    let lo = 0;
    let hi = tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tokens[mid]! < term) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < tokens.length && tokens[i]!.startsWith(term); i++) out.push(tokens[i]!);
    if (fuzzy && term.length >= 4) {
      const seen = new Set(out);
      for (const token of tokens) {
        if (!seen.has(token) && Math.abs(token.length - term.length) <= 1 && levenshtein(token, term) <= 1) {
          out.push(token);
        }
      }
    }
    return out;
  }
}
