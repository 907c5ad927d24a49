/**
 * Property-style checks of allocate over many generated splits: invoices are
 * split between payment methods and refunds between lines with it, so it must
 * never create or lose a cent.
 */
import { allocate, money } from '../src/money';
import { createRng } from '../src/random';

const CASES = 8_000;

describe('allocate (properties over generated inputs)', () => {
  const rng = createRng(20240611);
  const cases = Array.from({ length: CASES }, () => {
    const ratios = Array.from({ length: rng.int(1, 8) }, () => (rng.chance(0.15) ? 0 : rng.int(1, 100)));
    if (!ratios.some((r) => r > 0)) ratios[0] = 1;
    return { amount: rng.int(-10_000_000, 10_000_000), ratios };
  });

  it('the shares always add up to the original amount', () => {
    for (const { amount, ratios } of cases) {
      const total = allocate(money(amount, 'EUR'), ratios).reduce((acc, m) => acc + m.amount, 0);
      if (total !== amount) throw new Error(`lost money splitting ${amount} by ${ratios}: got ${total}`);
    }
  });

  it('every share is within one cent of its exact value', () => {
    for (const { amount, ratios } of cases) {
      const sum = ratios.reduce((a, b) => a + b, 0);
      allocate(money(amount, 'EUR'), ratios).forEach((share, i) => {
        const exact = (amount * ratios[i]!) / sum;
        if (Math.abs(share.amount - exact) >= 1) {
          throw new Error(`share ${i} of ${amount} by ${ratios} is ${share.amount}, exact ${exact}`);
        }
      });
    }
  });

  it('zero ratios get nothing and equal ratios differ by at most one cent', () => {
    for (const { amount, ratios } of cases) {
      const shares = allocate(money(amount, 'EUR'), ratios).map((m) => m.amount);
      ratios.forEach((r, i) => {
        if (r === 0 && shares[i] !== 0) throw new Error(`zero ratio got ${shares[i]} of ${amount}`);
      });
      const equal = allocate(money(amount, 'EUR'), ratios.map(() => 1)).map((m) => Math.abs(m.amount));
      if (Math.max(...equal) - Math.min(...equal) > 1) throw new Error(`uneven equal split of ${amount}: ${equal}`);
    }
  });
});
