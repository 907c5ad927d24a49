import { CsvError, parseCsv } from '../src/csv';

function errorOf(fn: () => unknown): CsvError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CsvError) return e;
    throw e;
  }
  throw new Error('expected a CsvError');
}

describe('CSV errors', () => {
  it('reports an unterminated quote at the line where it opened', () => {
    const e = errorOf(() => parseCsv('a,b\n1,"never closed\n2,3\n'));
    expect(e.message).toBe('unterminated quoted field (line 2)');
    expect(e.line).toBe(2);
  });

  it('rejects text after a closing quote', () => {
    expect(() => parseCsv('"a"b,c')).toThrow('unexpected character "b" after closing quote (line 1)');
  });

  it('rejects a quote inside an unquoted field', () => {
    expect(() => parseCsv('5" pipe,2')).toThrow('quote inside an unquoted field');
  });

  it('counts lines inside multi-line quoted fields', () => {
    const e = errorOf(() => parseCsv('a,b\n"x\ny",z\nq"r,s'));
    expect(e.line).toBe(4);
  });

  it.each(['', ',,', '"', '\n'])('refuses delimiter %j', (delimiter) => {
    expect(() => parseCsv('a', { delimiter })).toThrow(RangeError);
  });
});
