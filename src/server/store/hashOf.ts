/** The names of the data dir's files: a hash of what they belong to, so no key hash or build id shows in a listing. */
import { createHash } from 'node:crypto';

export function hashOf(parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
