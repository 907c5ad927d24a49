import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Keeps at most `keep` of a directory's `.json` files, removing the least
 * recently touched first (a key cannot fill the disk with run keys);
 * `removed` is told each file removed.
 */
export function evictOldest(dir: string, keep: number, removed: (file: string) => void = () => undefined): void {
  const files = readdirSync(dir)
    .filter(name => name.endsWith('.json'))
    .map(name => ({ file: path.join(dir, name), mtime: statSync(path.join(dir, name)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime);
  for (const { file } of files.slice(0, Math.max(0, files.length - keep))) {
    rmSync(file, { force: true });
    removed(file);
  }
}
