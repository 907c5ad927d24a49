import {
  completeEan13,
  ean13CheckDigit,
  isValidEan13,
  isValidLuhn,
  luhnCheckDigit,
  maskCardNumber,
} from '../src/barcode';

describe('EAN-13', () => {
  it('computes check digits of real barcodes', () => {
    expect(ean13CheckDigit('400638133393')).toBe(1);
    expect(ean13CheckDigit('590123412345')).toBe(7);
    expect(completeEan13('978030640615')).toBe('9780306406157'); // an ISBN-13
  });

  it('validates, ignoring spaces and dashes', () => {
    expect(isValidEan13('4006381333931')).toBe(true);
    expect(isValidEan13('590-1234-12345-7')).toBe(true);
    expect(isValidEan13('5 901234 123457')).toBe(true);
    expect(isValidEan13('4006381333932')).toBe(false);
    expect(isValidEan13('400638133393')).toBe(false);
    expect(isValidEan13('400638133393X')).toBe(false);
  });

  it('wants exactly 12 digits to compute a check digit', () => {
    expect(() => ean13CheckDigit('12345')).toThrow(SyntaxError);
  });
});

describe('Luhn', () => {
  it('validates card numbers', () => {
    expect(isValidLuhn('4111 1111 1111 1111')).toBe(true);
    expect(isValidLuhn('79927398713')).toBe(true);
    expect(isValidLuhn('79927398710')).toBe(false);
    expect(isValidLuhn('')).toBe(false);
    expect(isValidLuhn('4111-1111-1111-111a')).toBe(false);
    expect(luhnCheckDigit('7992739871')).toBe(3);
  });

  it('masks all but the last four digits', () => {
    expect(maskCardNumber('4111111111111111')).toBe('•••• •••• •••• 1111');
    expect(() => maskCardNumber('1234')).toThrow(SyntaxError);
  });
});
