import { parseCsv, parseCsvRecords, CsvError } from '../src/csv';

describe('parseCsv', () => {
  it('parses plain rows', () => {
    expect(parseCsv('sku,name,price\nTS-001,T-Shirt,19.99')).toEqual([
      ['sku', 'name', 'price'],
      ['TS-001', 'T-Shirt', '19.99'],
    ]);
  });

  it('handles quoted fields with delimiters, quotes and line breaks', () => {
    const text = 'name,notes\n"Mug, enamel","says ""hello"""\n"Poster","line one\nline two"\n';
    expect(parseCsv(text)).toEqual([
      ['name', 'notes'],
      ['Mug, enamel', 'says "hello"'],
      ['Poster', 'line one\nline two'],
    ]);
  });

  it('accepts CRLF and strips a byte order mark', () => {
    expect(parseCsv('\ufeffa,b\r\n1,2\r\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('keeps empty fields, including a trailing one', () => {
    expect(parseCsv('a,,c\n,\nx,')).toEqual([
      ['a', '', 'c'],
      ['', ''],
      ['x', ''],
    ]);
  });

  it('skips blank lines unless told otherwise', () => {
    expect(parseCsv('a\n\nb\n')).toEqual([['a'], ['b']]);
    expect(parseCsv('a\n\nb', { skipEmptyLines: false })).toEqual([['a'], [''], ['b']]);
  });

  it('supports other delimiters', () => {
    expect(parseCsv('a;b;"c;d"', { delimiter: ';' })).toEqual([['a', 'b', 'c;d']]);
    expect(parseCsv('a\tb\n1\t2', { delimiter: '\t' })).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('returns nothing for empty input', () => {
    expect(parseCsv('')).toEqual([]);
  });
});

describe('parseCsvRecords', () => {
  it('maps rows onto the header', () => {
    expect(parseCsvRecords('sku,qty\nA,1\nB,20\n')).toEqual([
      { sku: 'A', qty: '1' },
      { sku: 'B', qty: '20' },
    ]);
  });

  it('reports rows of the wrong width with their line number', () => {
    expect(() => parseCsvRecords('sku,qty\nA,1\nB\n')).toThrow(new CsvError('expected 2 fields, got 1', 3));
  });

  it('rejects duplicate columns', () => {
    expect(() => parseCsvRecords('sku,sku\n1,2')).toThrow('duplicate column "sku"');
  });

  it('returns no records for an empty file', () => {
    expect(parseCsvRecords('')).toEqual([]);
  });
});
