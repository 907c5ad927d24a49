import { allocate, money } from '../src/money';

const amounts = (ms: { amount: number }[]) => ms.map((m) => m.amount);

describe('allocate', () => {
  it('splits evenly and gives the leftover cent to the first share', () => {
    expect(amounts(allocate(money(100, 'USD'), [1, 1, 1]))).toEqual([34, 33, 33]);
  });

  it('breaks ties between equal remainders in order', () => {
    expect(amounts(allocate(money(5, 'USD'), [3, 7]))).toEqual([2, 3]);
  });

  it('gives leftovers to the largest remainders', () => {
    expect(amounts(allocate(money(1001, 'EUR'), [70, 20, 10]))).toEqual([701, 200, 100]);
    expect(amounts(allocate(money(10, 'EUR'), [0.3, 0.3, 0.4]))).toEqual([3, 3, 4]);
  });

  it('mirrors for negative amounts (refunds)', () => {
    expect(amounts(allocate(money(-100, 'USD'), [1, 1, 1]))).toEqual([-34, -33, -33]);
  });

  it('never gives anything to a zero ratio', () => {
    expect(amounts(allocate(money(1000, 'USD'), [0, 1]))).toEqual([0, 1000]);
    expect(amounts(allocate(money(1, 'USD'), [0, 0, 1]))).toEqual([0, 0, 1]);
  });

  it('keeps the currency', () => {
    expect(allocate(money(9, 'JPY'), [1, 2]).every((m) => m.currency === 'JPY')).toBe(true);
  });

  it.each([[[]], [[-1, 2]], [[0, 0]], [[Number.NaN]], [[Number.POSITIVE_INFINITY, 1]]])(
    'rejects ratios %j',
    (ratios) => {
      expect(() => allocate(money(100, 'USD'), ratios)).toThrow(RangeError);
    },
  );
});
