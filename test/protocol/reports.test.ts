import { checkReportHeader, encodeRecord, LineSplitter, rewriteRoot } from '../../src/protocol/reports';

describe('rewriteRoot', () => {
  it('moves every path under the writer\'s root to the reader\'s: file paths, coverage keys, file URLs, stack traces', () => {
    const json = JSON.stringify({
      testFilePath: '/ci/a/app/test/x.test.js',
      coverage: { '/ci/a/app/src/x.js': { path: '/ci/a/app/src/x.js' } },
      v8: 'file:///ci/a/app/src/x.js',
      stack: 'Error: no\n    at Object.<anonymous> (/ci/a/app/test/x.test.js:3:9)',
      root: '/ci/a/app',
    });
    expect(JSON.parse(rewriteRoot(json, '/ci/a/app', '/home/b/app'))).toEqual({
      testFilePath: '/home/b/app/test/x.test.js',
      coverage: { '/home/b/app/src/x.js': { path: '/home/b/app/src/x.js' } },
      v8: 'file:///home/b/app/src/x.js',
      stack: 'Error: no\n    at Object.<anonymous> (/home/b/app/test/x.test.js:3:9)',
      root: '/home/b/app',
    });
  });

  it('leaves a path that only starts with the same letters alone', () => {
    expect(rewriteRoot(JSON.stringify({ p: '/ci/a/application/x.js' }), '/ci/a/app', '/b')).toBe('{"p":"/ci/a/application/x.js"}');
  });

  it('handles Windows roots, whose backslashes are doubled in JSON', () => {
    const json = JSON.stringify({ p: 'C:\\ci\\app\\src\\x.js' });
    expect(JSON.parse(rewriteRoot(json, 'C:\\ci\\app', 'D:\\w\\app'))).toEqual({ p: 'D:\\w\\app\\src\\x.js' });
  });
});

describe('LineSplitter', () => {
  it('gives back each complete line once, across chunk boundaries, without parsing it', () => {
    const splitter = new LineSplitter();
    const text = encodeRecord({ id: 'a', node: 1, root: '/r', kind: 'result' }, { big: 'x'.repeat(100) });
    const lines: string[] = [];
    for (let i = 0; i < text.length; i += 7) lines.push(...splitter.push(Buffer.from(text.slice(i, i + 7))).map(line => line.toString()));
    expect(lines).toEqual(['{"id":"a","node":1,"root":"/r","kind":"result"}', `{"big":"${'x'.repeat(100)}"}`]);
    expect(splitter.pending).toBe(0);
  });
});

describe('checkReportHeader', () => {
  it.each([
    [{ id: 'a', node: 0, root: '/r', kind: 'result' }, undefined],
    [{ id: '', node: 0, root: '/r', kind: 'result' }, 'a record header needs an id of 1 to 4096 characters'],
    [{ id: 'a', node: -1, root: '/r', kind: 'result' }, 'a record header needs a node index'],
    [{ id: 'a', node: 0, root: '/r', kind: 'entry' }, 'a record header needs kind "result", "error" or "coverage"'],
    [{ id: '\u0000coverage', node: 0, root: '/r', kind: 'coverage' }, undefined],
    [{ id: 'a', node: 0, root: '/r', kind: 'coverage' }, 'a record header has id "\\u0000coverage" exactly when its kind is "coverage"'],
    [{ id: '\u0000coverage', node: 0, root: '/r', kind: 'result' }, 'a record header has id "\\u0000coverage" exactly when its kind is "coverage"'],
    [[], 'a record header must be a JSON object'],
  ])('%j: %s', (header, problem) => {
    expect(checkReportHeader(header)).toBe(problem);
  });
});
