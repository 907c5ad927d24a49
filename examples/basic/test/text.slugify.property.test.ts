/**
 * slugify over many generated product names (accents, punctuation, emoji,
 * odd spacing): slugs must be URL-safe, stable and idempotent.
 */
import { createRng } from '../src/random';
import { slugify } from '../src/text';

const ROUNDS = 3_000;
const ALPHABET = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'àáâäãåçèéêëìíîïñòóôöõùúûüýÿßæøÆØ',
  ...'  --__..,,!?&%/()[]"\'',
  '🍕',
  '日',
  '\t',
  '\n',
];

describe('slugify (generated product names)', () => {
  const rng = createRng(1234);
  const names = Array.from({ length: ROUNDS }, () =>
    Array.from({ length: rng.int(0, 60) }, () => rng.pick(ALPHABET)).join(''),
  );

  it('only produces lowercase ascii words joined by single dashes', () => {
    for (const name of names) {
      const slug = slugify(name);
      if (slug !== '' && !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug)) {
        throw new Error(`bad slug ${JSON.stringify(slug)} for ${JSON.stringify(name)}`);
      }
    }
  });

  it('is idempotent', () => {
    for (const name of names) {
      const once = slugify(name);
      expect(slugify(once)).toBe(once);
    }
  });

  it('respects the maximum length', () => {
    for (const name of names) {
      const max = 1 + (name.length % 30);
      expect(slugify(name, max).length).toBeLessThanOrEqual(max);
    }
  });

  it('does not depend on case', () => {
    for (const name of names.slice(0, 1_000)) {
      expect(slugify(name.toUpperCase())).toBe(slugify(name.toLowerCase()));
    }
  });
});
