import type { Test } from '@jest/test-result';
import { TestIds } from '../../src/runner/TestIds';

function test(path: string, configId: string, displayName?: string, rootDir = '/repo'): Test {
  return { path, context: { config: { id: configId, displayName: displayName && { name: displayName, color: 'white' }, rootDir } } } as unknown as Test;
}

describe('TestIds', () => {
  it('uses the posix path relative to rootDir when there is one project', () => {
    const ids = new TestIds([test('/repo/test/a.test.ts', 'p1'), test('/repo/src/b.test.ts', 'p1')], '/repo');
    expect([...ids.entries()].map(([id]) => id)).toEqual(['test/a.test.ts', 'src/b.test.ts']);
    expect(ids.test('src/b.test.ts')!.path).toBe('/repo/src/b.test.ts');
  });

  it('qualifies ids by project name when several projects may hold the same file', () => {
    const shared = '/repo/test/a.test.ts';
    const ids = new TestIds([test(shared, 'p1', 'unit'), test(shared, 'p2', 'dom')], '/repo');
    expect([...ids.entries()].map(([id]) => id).sort()).toEqual(['dom:test/a.test.ts', 'unit:test/a.test.ts']);
  });

  it('falls back to the project directory name, and keeps ids unique when names collide', () => {
    const ids = new TestIds(
      [test('/repo/a/x.test.ts', 'p1', undefined, '/repo/a'), test('/repo/b/x.test.ts', 'p2', undefined, '/repo/a')],
      '/repo',
    );
    expect([...ids.entries()].map(([id]) => id)).toEqual(['a:a/x.test.ts', 'a#1:b/x.test.ts']);
  });
});
