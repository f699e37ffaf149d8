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

/**
 * A typed protocol's text frame: a JSON object whose `type` is one of `types`' keys. Throws 400
 * `invalid_json`, `invalid_message` (not an object) or `unknown_message_type` (listing the known ones).
 */
export function parseTypedFrame<K extends string>(text: string, types: Record<K, unknown>): { type: K; json: Record<string, unknown> } {
  const json = parseJsonObject(text, 'The message is not valid JSON', new ApiError('invalid_message', 'A message must be a JSON object with a "type" field'));
  const type = json.type;
  if (typeof type !== 'string' || !Object.hasOwn(types, type)) {
    throw new ApiError('unknown_message_type', `Unknown message type ${JSON.stringify(type ?? null)}; expected one of: ${Object.keys(types).join(', ')}`, 'type');
  }
  return { type: type as K, json };
}
