/**
 * A small schema validator for API payloads, with inferred static types and
 * error paths such as `items[2].sku`.
 */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

export interface Schema<T> {
  readonly kind: string;
  /** Appends issues for `value` at `path`; returns the (possibly defaulted) value. */
  check(value: unknown, path: string, issues: Issue[]): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const at = (path: string) => path || '(root)';

export interface StringRules {
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  trim?: boolean;
}

export function string(rules: StringRules = {}): Schema<string> {
  return {
    kind: 'string',
    check(value, path, issues) {
      if (typeof value !== 'string') {
        issues.push({ path: at(path), message: `expected string, got ${describe(value)}` });
        return '';
      }
      const s = rules.trim ? value.trim() : value;
      if (rules.minLength !== undefined && s.length < rules.minLength) {
        issues.push({ path: at(path), message: `must be at least ${rules.minLength} characters` });
      }
      if (rules.maxLength !== undefined && s.length > rules.maxLength) {
        issues.push({ path: at(path), message: `must be at most ${rules.maxLength} characters` });
      }
      if (rules.pattern && !rules.pattern.test(s)) {
        issues.push({ path: at(path), message: `must match ${rules.pattern}` });
      }
      return s;
    },
  };
}

export interface NumberRules {
  min?: number;
  max?: number;
  integer?: boolean;
}

export function number(rules: NumberRules = {}): Schema<number> {
  return {
    kind: 'number',
    check(value, path, issues) {
      if (typeof value !== 'number' || Number.isNaN(value)) {
        issues.push({ path: at(path), message: `expected number, got ${Number.isNaN(value) ? 'NaN' : describe(value)}` });
        return 0;
      }
      if (rules.integer && !Number.isInteger(value)) issues.push({ path: at(path), message: 'must be an integer' });
      if (rules.min !== undefined && value < rules.min) issues.push({ path: at(path), message: `must be >= ${rules.min}` });
      if (rules.max !== undefined && value > rules.max) issues.push({ path: at(path), message: `must be <= ${rules.max}` });
      return value;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    kind: 'boolean',
    check(value, path, issues) {
      if (typeof value !== 'boolean') issues.push({ path: at(path), message: `expected boolean, got ${describe(value)}` });
      return value === true;
    },
  };
}

export function literal<const T extends string | number | boolean>(expected: T): Schema<T> {
  return {
    kind: 'literal',
    check(value, path, issues) {
      if (value !== expected) issues.push({ path: at(path), message: `expected ${JSON.stringify(expected)}` });
      return expected;
    },
  };
}

export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  return {
    kind: 'enum',
    check(value, path, issues) {
      if (typeof value !== 'string' || !values.includes(value)) {
        issues.push({ path: at(path), message: `expected one of ${values.join(', ')}` });
        return values[0] as T[number];
      }
      return value as T[number];
    },
  };
}

export function optional<T>(inner: Schema<T>, defaultValue?: T): Schema<T | undefined> {
  return {
    kind: 'optional',
    check(value, path, issues) {
      if (value === undefined) return defaultValue;
      return inner.check(value, path, issues);
    },
  };
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    kind: 'nullable',
    check(value, path, issues) {
      return value === null ? null : inner.check(value, path, issues);
    },
  };
}

export function array<T>(item: Schema<T>, rules: { minItems?: number; maxItems?: number } = {}): Schema<T[]> {
  return {
    kind: 'array',
    check(value, path, issues) {
      if (!Array.isArray(value)) {
        issues.push({ path: at(path), message: `expected array, got ${describe(value)}` });
        return [];
      }
      if (rules.minItems !== undefined && value.length < rules.minItems) {
        issues.push({ path: at(path), message: `must have at least ${rules.minItems} items` });
      }
      if (rules.maxItems !== undefined && value.length > rules.maxItems) {
        issues.push({ path: at(path), message: `must have at most ${rules.maxItems} items` });
      }
      return value.map((v, i) => item.check(v, `${path}[${i}]`, issues));
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Infer<S[K]>;
};

export function object<S extends Shape>(shape: S, rules: { strict?: boolean } = {}): Schema<ObjectOf<S>> {
  return {
    kind: 'object',
    check(value, path, issues) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        issues.push({ path: at(path), message: `expected object, got ${describe(value)}` });
        return {} as ObjectOf<S>;
      }
      const input = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(shape)) {
        const child = path ? `${path}.${key}` : key;
        if (!(key in input) && schema.kind !== 'optional') {
          issues.push({ path: child, message: 'is required' });
          continue;
        }
        const checked = schema.check(input[key], child, issues);
        if (checked !== undefined) out[key] = checked;
      }
      if (rules.strict) {
        for (const key of Object.keys(input)) {
          if (!(key in shape)) issues.push({ path: path ? `${path}.${key}` : key, message: 'is not allowed' });
        }
      }
      return out as ObjectOf<S>;
    },
  };
}

/** Either schema; on failure, reports the issues of the closer alternative. */
export function union<A, B>(a: Schema<A>, b: Schema<B>): Schema<A | B> {
  return {
    kind: 'union',
    check(value, path, issues) {
      const first: Issue[] = [];
      const va = a.check(value, path, first);
      if (first.length === 0) return va;
      const second: Issue[] = [];
      const vb = b.check(value, path, second);
      if (second.length === 0) return vb;
      // Prefer the alternative whose type matched: its issues are the useful ones.
      const score = (list: Issue[]) =>
        list.length + (list.some((i) => i.path === at(path) && i.message.startsWith('expected ')) ? 1000 : 0);
      issues.push(...(score(second) < score(first) ? second : first));
      return va;
    },
  };
}

export function validate<T>(schema: Schema<T>, value: unknown): Result<T> {
  const issues: Issue[] = [];
  const checked = schema.check(value, '', issues);
  return issues.length === 0 ? { ok: true, value: checked } : { ok: false, issues };
}

export class ValidationError extends Error {
  constructor(readonly issues: readonly Issue[]) {
    super(issues.map((i) => `${i.path} ${i.message}`).join('; '));
    this.name = 'ValidationError';
  }
}

/** Like validate, but throws ValidationError. */
export function parse<T>(schema: Schema<T>, value: unknown): T {
  const result = validate(schema, value);
  if (!result.ok) throw new ValidationError(result.issues);
  return result.value;
}
