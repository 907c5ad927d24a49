/**
 * A run key's quarantine as the API shows it, and a change to it as the API
 * takes it (pure): `{file, name, reason, days?, cleanRuns?, by?}`, checked,
 * with a reason for what is wrong.
 */
import { MAX_TEST_ID_LENGTH } from '../../protocol/requests';
import type { Quarantine } from '../store/quarantine';
import { splitTestKey } from '../store/testHistory';
import type { QuarantineView } from './types';

export function quarantineView(runKey: string, q: Quarantine): QuarantineView {
  return {
    runKey,
    tests: q.tests.map(t => ({ ...splitTestKey(t.test), by: t.by, reason: t.reason, at: t.at, expiresAt: t.expiresAt, cleanRuns: t.cleanRuns, clean: t.clean })),
    audit: q.audit.map(a => ({ at: a.at, action: a.action, ...splitTestKey(a.test), by: a.by, why: a.why })),
  };
}

export interface QuarantineChange {
  readonly file: string;
  readonly name: string;
  readonly reason: string;
  /** Who asks: `api` unless the caller says (`cli`, `page`). */
  readonly by: string;
  readonly days?: number;
  readonly cleanRuns?: number;
}

const USAGE = 'send JSON {"file": "<test file id>", "name": "<full test name>", "reason": "<why>", "days": <n, optional>, "cleanRuns": <n, optional>}';

/** The change in a request body, or what is wrong with it. */
export function parseQuarantineChange(body: string): QuarantineChange | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { error: `the body is not JSON: ${USAGE}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: USAGE };
  const { file, name, reason, days, cleanRuns, by } = value as Record<string, unknown>;
  if (typeof file !== 'string' || file === '' || file.length > MAX_TEST_ID_LENGTH) return { error: `file must be the test file's id (its path from the rootDir, as the run page shows it): ${USAGE}` };
  if (typeof name !== 'string' || name === '' || name.length > 4096) return { error: `name must be the test's full name (describe blocks and title, as Jest prints it): ${USAGE}` };
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 1000) return { error: `reason must say why, in at most 1000 characters (it is kept in the audit): ${USAGE}` };
  const count = (v: unknown, max: number): boolean => v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max);
  if (!count(days, 3650)) return { error: 'days must be a whole number from 1 to 3650' };
  if (!count(cleanRuns, 1000)) return { error: 'cleanRuns must be a whole number from 1 to 1000' };
  const who = typeof by === 'string' && /^[\w .:@-]{1,64}$/.test(by) ? by : 'api';
  return { file, name, reason: reason.trim(), by: who, ...(days === undefined ? {} : { days: days as number }), ...(cleanRuns === undefined ? {} : { cleanRuns: cleanRuns as number }) };
}
