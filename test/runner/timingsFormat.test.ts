import { mergeTimings, parseTimings, serializeTimings, timingsDigest } from '../../src/runner/timingsFormat';

describe('the timings file format', () => {
  it('writes sorted keys and whole milliseconds, so a committed file changes only where durations did', () => {
    const text = serializeTimings(new Map([['test/b.test.js', 1200.6], ['test/a.test.js', 15]]));
    expect(text).toBe('{\n  "version": 1,\n  "files": {\n    "test/a.test.js": 15,\n    "test/b.test.js": 1201\n  }\n}\n');
    expect(parseTimings(text)).toEqual({ ok: true, durations: new Map([['test/a.test.js', 15], ['test/b.test.js', 1201]]) });
  });

  it.each([
    ['<<<<<<< HEAD', /^it is not JSON/],
    ['[]', /^it is not a JSON object$/],
    ['{"version":2,"files":{}}', /^its version is 2, not 1$/],
    ['{"version":1}', /^"files" is not an object of test ids$/],
    ['{"version":1,"files":{"test/a.test.js":"12"}}', /^the duration of "test\/a.test.js" is "12", not a number of milliseconds$/],
    ['{"version":1,"files":{"test/a.test.js":-1}}', /^the duration of "test\/a.test.js" is -1/],
  ])('refuses %s as a whole, saying why', (text, reason) => {
    const parsed = parseTimings(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toMatch(reason);
  });

  it('keeps the durations of files this node did not run and replaces those it ran', () => {
    const previous = new Map([['test/a.test.js', 100], ['test/b.test.js', 200]]);
    expect(mergeTimings(previous, new Map([['test/b.test.js', 250], ['test/c.test.js', 30]]))).toEqual(
      new Map([['test/a.test.js', 100], ['test/b.test.js', 250], ['test/c.test.js', 30]]),
    );
  });

  it('digests the text, so two nodes that read different files print different digests', () => {
    expect(timingsDigest('{"version":1,"files":{}}')).toMatch(/^[0-9a-f]{12}$/);
    expect(timingsDigest('a')).not.toBe(timingsDigest('b'));
  });
});
