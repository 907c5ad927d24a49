/**
 * RFC 4180 CSV: quoted fields, doubled quotes, delimiters and line breaks
 * inside quotes, CRLF or LF line endings. Single pass, no regexes per field.
 */
export interface ParseOptions {
  delimiter?: string;
  /** Skip lines that are completely empty (default true). */
  skipEmptyLines?: boolean;
}

export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
    this.name = 'CsvError';
  }
}

export function parseCsv(text: string, options: ParseOptions = {}): string[][] {
  const delimiter = options.delimiter ?? ',';
  const skipEmpty = options.skipEmptyLines ?? true;
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new RangeError(`invalid delimiter ${JSON.stringify(delimiter)}`);
  }
  const delim = delimiter.charCodeAt(0);
  const QUOTE = 34;
  const LF = 10;
  const CR = 13;
  const rows: string[][] = [];
  let row: string[] = [];
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // BOM
  const n = text.length;

  const endRow = () => {
    if (!(skipEmpty && row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };

  while (i <= n) {
    if (i === n) {
      // End of input right after a delimiter or at the start of a row.
      if (row.length > 0) {
        row.push('');
        endRow();
      }
      break;
    }
    if (text.charCodeAt(i) === QUOTE) {
      const startLine = line;
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) throw new CsvError('unterminated quoted field', startLine);
        value += text.slice(j, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      for (let k = i; k < j; k++) if (text.charCodeAt(k) === LF) line++;
      const next = j < n ? text.charCodeAt(j) : -1;
      row.push(value);
      if (next === delim) i = j + 1;
      else if (next === LF || next === CR) {
        i = next === CR && text.charCodeAt(j + 1) === LF ? j + 2 : j + 1;
        line++;
        endRow();
      } else if (next === -1) {
        endRow();
        break;
      } else throw new CsvError(`unexpected character ${JSON.stringify(text[j])} after closing quote`, line);
      continue;
    }
    let j = i;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === delim || c === LF || c === CR) break;
      if (c === QUOTE) throw new CsvError('quote inside an unquoted field', line);
      j++;
    }
    row.push(text.slice(i, j));
    if (j === n) {
      endRow();
      break;
    }
    const c = text.charCodeAt(j);
    if (c === delim) i = j + 1;
    else {
      i = c === CR && text.charCodeAt(j + 1) === LF ? j + 2 : j + 1;
      line++;
      endRow();
    }
  }
  return rows;
}

/** Parses a CSV with a header row into objects keyed by the header. */
export function parseCsvRecords(text: string, options: ParseOptions = {}): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text, options);
  if (!header) return [];
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new CsvError(`duplicate column ${JSON.stringify(name)}`, 1);
    seen.add(name);
  }
  return rows.map((row, r) => {
    if (row.length !== header.length) {
      throw new CsvError(`expected ${header.length} fields, got ${row.length}`, r + 2);
    }
    const record: Record<string, string> = {};
    header.forEach((name, c) => (record[name] = row[c]!));
    return record;
  });
}

export interface StringifyOptions {
  delimiter?: string;
  lineEnding?: '\n' | '\r\n';
}

export function stringifyCsv(rows: readonly (readonly unknown[])[], options: StringifyOptions = {}): string {
  const delimiter = options.delimiter ?? ',';
  const eol = options.lineEnding ?? '\r\n';
  const needsQuotes = (s: string) =>
    s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') || /^\s|\s$/.test(s);
  const cell = (value: unknown): string => {
    const s = value === null || value === undefined ? '' : String(value);
    return needsQuotes(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((row) => row.map(cell).join(delimiter)).join(eol) + (rows.length ? eol : '');
}
