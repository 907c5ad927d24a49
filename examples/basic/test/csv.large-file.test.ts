/**
 * A realistic nightly job: parse a full order export (hundreds of thousands of
 * lines, quoted customer names, multi-line notes) and reconcile revenue per
 * category against the totals the export was generated from.
 */
import { parseCsv, parseCsvRecords, stringifyCsv } from '../src/csv';
import { add, formatMoney, money, Money, multiply, parseMoney } from '../src/money';
import { createRng } from '../src/random';

const ROWS = 50_000;
const CATEGORIES = ['apparel', 'kitchen', 'books', 'outdoor', 'gift-cards'] as const;
const FIRST = ['Ada', 'Grace', 'Alan', 'Katherine', 'Linus', 'Margaret', 'Dennis', 'Barbara'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Johnson', "O'Neil", 'Hamilton', 'Ritchie', 'Liskov'];

function generateExport() {
  const rng = createRng(7_000_001);
  const expected = new Map<string, Money>(CATEGORIES.map((c) => [c, money(0, 'EUR')]));
  const rows: string[][] = [['order_id', 'date', 'customer', 'sku', 'category', 'quantity', 'unit_price', 'note']];
  for (let i = 0; i < ROWS; i++) {
    const category = rng.pick(CATEGORIES);
    const quantity = rng.int(1, 12);
    const unit = money(rng.int(99, 25_000), 'EUR');
    const customer = rng.chance(0.2)
      ? `${rng.pick(LAST)}, ${rng.pick(FIRST)}` // "Last, First" needs quoting
      : `${rng.pick(FIRST)} ${rng.pick(LAST)}`;
    const note = rng.chance(0.05)
      ? 'Gift wrap, please.\nMessage: "Happy birthday!"'
      : rng.chance(0.1)
        ? 'leave at the door'
        : '';
    rows.push([
      `ord_${String(i + 1).padStart(7, '0')}`,
      `2024-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
      customer,
      `${category.slice(0, 2).toUpperCase()}-${rng.int(100, 999)}`,
      category,
      String(quantity),
      (unit.amount / 100).toFixed(2),
      note,
    ]);
    expected.set(category, add(expected.get(category)!, multiply(unit, quantity)));
  }
  return { rows, text: stringifyCsv(rows), expected };
}

describe('order export (large CSV)', () => {
  const { rows, text, expected } = generateExport();

  it('is a file of realistic size', () => {
    expect(text.length).toBeGreaterThan(3_000_000);
  });

  it('parses back to exactly the rows that were written', () => {
    const parsed = parseCsv(text);
    expect(parsed).toHaveLength(ROWS + 1);
    expect(parsed).toEqual(rows);
  });

  it('reconciles revenue per category to the cent', () => {
    const revenue = new Map<string, Money>();
    for (const record of parseCsvRecords(text)) {
      const line = multiply(parseMoney(record.unit_price!, 'EUR'), Number(record.quantity));
      revenue.set(record.category!, add(revenue.get(record.category!) ?? money(0, 'EUR'), line));
    }
    for (const category of CATEGORIES) {
      expect(formatMoney(revenue.get(category)!)).toBe(formatMoney(expected.get(category)!));
    }
  });

  it('keeps multi-line notes and quoted names intact', () => {
    const records = parseCsvRecords(text);
    const withNotes = records.filter((r) => r.note!.includes('\n'));
    expect(withNotes.length).toBeGreaterThan(ROWS * 0.03);
    expect(withNotes.every((r) => r.note === 'Gift wrap, please.\nMessage: "Happy birthday!"')).toBe(true);
    expect(records.filter((r) => r.customer!.includes(', ')).length).toBeGreaterThan(ROWS * 0.15);
  });
});
