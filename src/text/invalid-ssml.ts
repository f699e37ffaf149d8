/**
 * The one error the markup and say-as code raises. SSML arrives inside the request's `text`
 * field, so the client is told about `text`, with a code it can branch on.
 */
import { invalidParam, type ApiError } from '../errors.js';

/** 400 `invalid_ssml` on the `text` parameter. */
export function invalidSsml(message: string): ApiError {
  return invalidParam('text', message, 'invalid_ssml');
}

/** User content shortened and quoted for an error message. */
export function quote(content: string): string {
  return JSON.stringify(content.length > 40 ? `${content.slice(0, 40)}…` : content);
}
