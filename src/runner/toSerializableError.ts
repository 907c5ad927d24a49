import type { SerializableError } from '@jest/test-result';

/** A file's failure as Jest's reporters take it, whatever was thrown. */
export function toSerializableError(error: unknown): SerializableError {
  if (error && typeof error === 'object' && typeof (error as SerializableError).message === 'string') {
    const e = error as SerializableError;
    return { message: e.message, stack: e.stack, type: e.type ?? 'Error', code: e.code };
  }
  return { message: String(error), stack: undefined, type: 'Error' };
}
