/** Text helpers for product pages: slugs, excerpts, titles, wrapping. */

/** "Crème Brûlée — 2 for 1!" → "creme-brulee-2-for-1" */
export function slugify(input: string, maxLength = 80): string {
  const base = input
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/æ/gi, 'ae')
    .replace(/ø/gi, 'o')
    .replace(/&/g, ' and ')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (base.length <= maxLength) return base;
  const cut = base.slice(0, maxLength + 1);
  const lastDash = cut.lastIndexOf('-');
  return (lastDash > 0 ? cut.slice(0, lastDash) : base.slice(0, maxLength)).replace(/-+$/, '');
}

/** Shortens at a word boundary and appends the ellipsis; never exceeds max. */
export function truncate(text: string, max: number, ellipsis = '…'): string {
  if (max < ellipsis.length) throw new RangeError('max must leave room for the ellipsis');
  const chars = [...text];
  if (chars.length <= max) return text;
  const room = max - [...ellipsis].length;
  const head = chars.slice(0, room + 1).join('');
  const boundary = head.search(/\s\S*$/);
  const cut = boundary > 0 ? head.slice(0, boundary) : chars.slice(0, room).join('');
  return cut.replace(/[\s.,;:!?-]+$/, '') + ellipsis;
}

const SMALL_WORDS = new Set(['a', 'an', 'and', 'as', 'at', 'but', 'by', 'for', 'in', 'of', 'on', 'or', 'the', 'to', 'with']);

/** "the lord of the rings" → "The Lord of the Rings" */
export function titleCase(text: string): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  return words
    .map((word, i) => {
      const lower = word.toLowerCase();
      const isEdge = i === 0 || i === words.length - 1;
      if (!isEdge && SMALL_WORDS.has(lower)) return lower;
      if (/[A-Z].*[A-Z]/.test(word) || /\d/.test(word)) return word; // keep "USB", "iPhone15"
      return lower
        .split('-')
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join('-');
    })
    .join(' ');
}

/** Greedy word wrap; words longer than the width are hard-split. */
export function wordWrap(text: string, width: number): string[] {
  if (!Number.isInteger(width) || width < 1) throw new RangeError('width must be a positive integer');
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (let word of paragraph.split(/\s+/).filter(Boolean)) {
      while (word.length > width) {
        if (line) {
          lines.push(line);
          line = '';
        }
        lines.push(word.slice(0, width));
        word = word.slice(width);
      }
      if (!line) line = word;
      else if (line.length + 1 + word.length <= width) line += ' ' + word;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** Edit distance (insertions, deletions, substitutions), two-row DP. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length < b.length) [a, b] = [b, a];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let curr = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      curr[j] = Math.min(prev[j]! + 1, curr[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[b.length]!;
}

/** pluralize(1, 'item') → "1 item"; pluralize(3, 'box', 'boxes') → "3 boxes" */
export function pluralize(count: number, singular: string, plural = singular + 's'): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
