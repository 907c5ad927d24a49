/**
 * What check digits are for: EAN-13 catches every single-digit misread, Luhn
 * catches every single-digit typo and almost every swap of neighbours.
 */
import { completeEan13, isValidEan13, isValidLuhn, luhnCheckDigit } from '../src/barcode';
import { createRng } from '../src/random';

const CODES = 1_000;

describe('check digits (generated codes)', () => {
  const rng = createRng(5_901_234);
  const payloads = Array.from({ length: CODES }, () => Array.from({ length: 12 }, () => rng.int(0, 9)).join(''));

  it('every completed EAN-13 validates', () => {
    for (const p of payloads) expect(isValidEan13(completeEan13(p))).toBe(true);
  });

  it('EAN-13 detects every single-digit error', () => {
    for (const p of payloads) {
      const code = completeEan13(p);
      for (let pos = 0; pos < 13; pos++) {
        for (let d = 0; d <= 9; d++) {
          if (String(d) === code[pos]) continue;
          const wrong = code.slice(0, pos) + d + code.slice(pos + 1);
          if (isValidEan13(wrong)) throw new Error(`${wrong} passed as a misread of ${code}`);
        }
      }
    }
  });

  it('Luhn detects single-digit errors and swaps of neighbours other than 09/90', () => {
    for (const p of payloads.slice(0, 500)) {
      const card = '4' + p.slice(0, 14);
      const number = card + luhnCheckDigit(card);
      expect(isValidLuhn(number)).toBe(true);
      for (let pos = 0; pos < number.length - 1; pos++) {
        const [a, b] = [number[pos]!, number[pos + 1]!];
        if (a === b || (a + b === '09' || a + b === '90')) continue;
        const swapped = number.slice(0, pos) + b + a + number.slice(pos + 2);
        if (isValidLuhn(swapped)) throw new Error(`swap at ${pos} of ${number} went unnoticed`);
      }
      for (let pos = 0; pos < number.length; pos++) {
        const d = (Number(number[pos]) + 1 + rng.int(0, 8)) % 10;
        const typo = number.slice(0, pos) + d + number.slice(pos + 1);
        if (isValidLuhn(typo)) throw new Error(`typo at ${pos} of ${number} went unnoticed`);
      }
    }
  });
});
