/** Check digits: EAN-13/GTIN product codes and Luhn (card numbers). */

/** The EAN-13 check digit for the first 12 digits. */
export function ean13CheckDigit(first12: string): number {
  if (!/^\d{12}$/.test(first12)) throw new SyntaxError('expected exactly 12 digits');
  let total = 0;
  for (let i = 0; i < 12; i++) total += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (total % 10)) % 10;
}

export function isValidEan13(code: string): boolean {
  const digits = code.replace(/[\s-]/g, '');
  if (!/^\d{13}$/.test(digits)) return false;
  return ean13CheckDigit(digits.slice(0, 12)) === Number(digits[12]);
}

export function completeEan13(first12: string): string {
  return first12 + ean13CheckDigit(first12);
}

export function luhnCheckDigit(payload: string): number {
  if (!/^\d+$/.test(payload)) throw new SyntaxError('expected digits');
  let total = 0;
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = Number(payload[i]);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
  }
  return (10 - (total % 10)) % 10;
}

export function isValidLuhn(number: string): boolean {
  const digits = number.replace(/[\s-]/g, '');
  if (!/^\d{2,19}$/.test(digits)) return false;
  return luhnCheckDigit(digits.slice(0, -1)) === Number(digits[digits.length - 1]);
}

/** "4111111111111111" → "•••• •••• •••• 1111" */
export function maskCardNumber(number: string): string {
  const digits = number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) throw new SyntaxError('not a card number');
  const masked = '•'.repeat(digits.length - 4) + digits.slice(-4);
  return masked.replace(/(.{4})(?=.)/g, '$1 ');
}
