/**
 * Blob files are untrusted input to `jest-fast-ci merge`: a file that is not
 * one says which file and line, never a raw parse error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readBlob } from '../../src/runner/blobs';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'jest-fast-ci-blobs-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const blobHeader = JSON.stringify({ blob: 1, build: 'b', node: 0, root: '/app' });
const recordHeader = JSON.stringify({ id: 'test/a.test.js', node: 0, root: '/app', kind: 'result' });

function blob(lines: string[]): string {
  const file = path.join(dir, 'node-0.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

it('reads the records of a blob file', async () => {
  const { records } = await readBlob(blob([blobHeader, recordHeader, '{"testResults":[]}']));
  expect(records).toHaveLength(1);
  expect(records[0]!.header).toEqual(JSON.parse(recordHeader));
});

it('names the file and the line when a line is not JSON or not a record header', async () => {
  const bad = blob([blobHeader, '{"id": "test/a.test.js", ']);
  await expect(readBlob(bad)).rejects.toThrow(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a jest-fast-ci blob file: line 2 is not JSON`));
  await expect(readBlob(blob([blobHeader, '{"id": 5}']))).rejects.toThrow(/line 2 is not a record header \(a record header needs an id/);
  await expect(readBlob(blob(['not json']))).rejects.toThrow(/line 1 is not JSON/);
});
