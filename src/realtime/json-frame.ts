/** The first check of every live protocol's text frame: a JSON object, or a 400 saying what it is not. */
import { ApiError } from '../errors.js';

/**
 * Parses `text` as a JSON object. Throws 400 `invalid_json` (with `notJsonMessage`) when it is
 * not JSON, and `notObject` when it is JSON but not an object.
 */
export function parseJsonObject(text: string, notJsonMessage: string, notObject: ApiError): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError('invalid_json', notJsonMessage);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw notObject;
  return value as Record<string, unknown>;
}
