import type { TestResult } from '@jest/test-result';
import { createCoverageMap, type CoverageMapData } from 'istanbul-lib-coverage';
import { mergeProcessCovs } from '@bcoe/v8-coverage';
import { carryCoverage, NodeCoverage, withoutCoverage } from '../../src/runner/NodeCoverage';

/** A file's istanbul coverage: a statement per line, each hit as `hits` says; with the instrumenter's hash of its source, when given. */
function fileCoverage(file: string, hits: number[], hash?: string) {
  const loc = (line: number) => ({ start: { line, column: 0 }, end: { line, column: 9 } });
  return {
    ...(hash === undefined ? {} : { hash }),
    path: file,
    statementMap: Object.fromEntries(hits.map((_, i) => [i, loc(i + 1)])),
    fnMap: { 0: { name: 'f', decl: loc(1), loc: loc(1), line: 1 } },
    branchMap: { 0: { type: 'if', loc: loc(2), locations: [loc(2), loc(2)], line: 2 } },
    s: Object.fromEntries(hits.map((h, i) => [i, h])),
    f: { 0: hits[0]! > 0 ? 1 : 0 },
    b: { 0: [hits[1] ?? 0, 0] },
  };
}

const resultWith = (coverage: CoverageMapData): TestResult => ({ coverage }) as unknown as TestResult;

describe('a node\'s coverage, merged as its files finish', () => {
  it('babel: equals istanbul\'s merge of every file\'s map, hit counts summed (added key by key for one source\'s maps), and leaves the results as they were', () => {
    // a.js carries its source's hash (counts added key by key); b.js does not (istanbul's merge).
    const results = [
      resultWith({ '/p/src/a.js': fileCoverage('/p/src/a.js', [1, 0, 2], 'h-a') as never, '/p/src/b.js': fileCoverage('/p/src/b.js', [0, 0]) as never }),
      resultWith({ '/p/src/a.js': fileCoverage('/p/src/a.js', [3, 1, 0], 'h-a') as never }),
      resultWith({ '/p/src/b.js': fileCoverage('/p/src/b.js', [5, 0]) as never, '/p/src/c.js': fileCoverage('/p/src/c.js', [1]) as never }),
      resultWith({ '/p/src/a.js': fileCoverage('/p/src/a.js', [0, 0, 7], 'h-a') as never }),
    ];
    const before = JSON.stringify(results);
    const coverage = new NodeCoverage();
    expect(coverage.isEmpty).toBe(true);
    for (const result of results) coverage.add(result);
    // Jest's CoverageReporter holds these objects and merges into them: they must not change.
    expect(JSON.stringify(results)).toBe(before);

    const reference = createCoverageMap({});
    for (const result of JSON.parse(before) as Array<{ coverage: CoverageMapData }>) reference.merge(result.coverage);
    expect(coverage.body()).toEqual({ babel: JSON.parse(JSON.stringify(reference)) });
    expect(coverage.body().babel!['/p/src/a.js']!.s).toEqual({ 0: 4, 1: 1, 2: 9 });
    expect(coverage.body().babel!['/p/src/a.js']!.b).toEqual({ 0: [1, 0] });
  });

  it('v8: equals Jest\'s merge of every file\'s scripts, with each script\'s transform once', () => {
    const script = (url: string, count: number) => ({
      result: { scriptId: '1', url, functions: [{ functionName: '', isBlockCoverage: true, ranges: [{ startOffset: 0, endOffset: 20, count }] }] },
      codeTransformResult: { code: 'x', originalCode: 'not the file on disk', sourceMapPath: null },
    });
    const results = [[script('/p/src/a.js', 1), script('/p/src/b.js', 0)], [script('/p/src/a.js', 2)]].map(v8Coverage => ({ v8Coverage }) as unknown as TestResult);
    const before = JSON.stringify(results);
    const coverage = new NodeCoverage();
    for (const result of results) coverage.add(result);
    expect(JSON.stringify(results)).toBe(before);

    const reference = mergeProcessCovs((JSON.parse(before) as Array<{ v8Coverage: Array<{ result: never }> }>).map(r => ({ result: r.v8Coverage.map(e => e.result) })));
    const body = coverage.body();
    expect(body.v8!.map(e => e.result)).toEqual(reference.result);
    expect(body.v8!.map(e => e.codeTransformResult)).toEqual([
      { code: 'x', originalCode: 'not the file on disk', sourceMapPath: null },
      { code: 'x', originalCode: 'not the file on disk', sourceMapPath: null },
    ]);
  });

  it('a file\'s result without coverage, and coverage carried by a result another node ran', () => {
    const result = resultWith({ '/p/src/a.js': fileCoverage('/p/src/a.js', [1]) as never });
    expect(withoutCoverage(result)).not.toHaveProperty('coverage');
    const carrier = {} as TestResult;
    carryCoverage(carrier, [{ babel: { '/p/src/a.js': fileCoverage('/p/src/a.js', [1, 1]) as never } }, { babel: { '/p/src/a.js': fileCoverage('/p/src/a.js', [2, 0]) as never } }]);
    expect((carrier.coverage as CoverageMapData)['/p/src/a.js']!.s).toEqual({ 0: 3, 1: 1 });
  });
});
