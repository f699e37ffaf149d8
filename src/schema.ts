/** Turns a zod validation failure into the API's 400 envelope with `param` set. */
import { z } from 'zod';
import { ApiError } from './errors.js';

function describeIssue(issue: z.core.$ZodIssue, input: unknown): ApiError {
  const param = issue.path.map(String).join('.') || null;
  const name = param ?? 'body';
  const value = issue.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), input);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined || value === null) {
        return new ApiError('missing_required_parameter', `Missing required parameter '${name}'`, param);
      }
      return new ApiError('invalid_type', `'${name}' must be ${article(issue.expected)}, got ${typeName(value)}`, param);
    case 'invalid_value':
      return new ApiError('invalid_value', `'${name}' must be one of: ${issue.values.map(String).join(', ')}; got ${JSON.stringify(value)}`, param);
    default:
      return new ApiError('invalid_value', issue.message.startsWith("'") ? issue.message : `'${name}': ${issue.message}`, param);
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v;
}

/** Validates `input` against `schema`, throwing a 400 for the first problem found. */
export function parseBody<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw describeIssue(r.error.issues[0]!, input);
}

/** A number in [min, max] with a message that states the range. */
export function numberIn(name: string, min: number, max: number) {
  const msg = `'${name}' must be a number between ${min} and ${max}`;
  return z.number().min(min, { error: msg }).max(max, { error: msg });
}
