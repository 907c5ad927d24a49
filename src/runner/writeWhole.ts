/**
 * Writes a file whole: a temporary file renamed over it, so no reader (a
 * CI saving a cache, another node, a merge) ever sees half of one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes `text` to `file` (making its directory); returns why it could not, or undefined. */
export function writeWhole(file: string, text: string): string | undefined {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
    return undefined;
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    return (error as Error).message;
  }
}
