import { parseCsv, stringifyCsv } from '../src/csv';

describe('stringifyCsv', () => {
  it('writes plain values without quotes, CRLF by default', () => {
    expect(stringifyCsv([['a', 'b'], [1, 2.5]])).toBe('a,b\r\n1,2.5\r\n');
  });

  it('quotes only when it must', () => {
    expect(stringifyCsv([['Mug, enamel', 'say "hi"', 'two\nlines', 'plain']], { lineEnding: '\n' })).toBe(
      '"Mug, enamel","say ""hi""","two\nlines",plain\n',
    );
  });

  it('protects leading and trailing spaces', () => {
    expect(stringifyCsv([[' padded', 'x ']], { lineEnding: '\n' })).toBe('" padded","x "\n');
  });

  it('writes null and undefined as empty fields', () => {
    expect(stringifyCsv([[null, undefined, 0, false]], { lineEnding: '\n' })).toBe(',,0,false\n');
  });

  it('quotes the delimiter it uses', () => {
    expect(stringifyCsv([['a;b', 'c,d']], { delimiter: ';', lineEnding: '\n' })).toBe('"a;b";c,d\n');
  });

  it('writes nothing for no rows', () => {
    expect(stringifyCsv([])).toBe('');
  });

  it('round-trips awkward values through parseCsv', () => {
    const rows = [
      ['id', 'name', 'note'],
      ['1', 'Crème brûlée', 'contains "eggs", milk'],
      ['2', '', '\r\nstarts with a line break'],
      ['3', ' spaced ', 'tab\there'],
    ];
    expect(parseCsv(stringifyCsv(rows))).toEqual(rows);
  });
});
