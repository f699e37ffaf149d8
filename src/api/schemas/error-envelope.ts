/**
 * The error envelope every 4xx/5xx carries (and every stream's `error` event), as a zod schema
 * built from the catalogue in src/errors.ts, so the documented codes are the codes that exist.
 */
import { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../../errors.js';

/** Every code in the catalogue whose status is `status` (all codes when omitted). */
export function errorCodes(status?: number): ErrorCode[] {
  return (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((c) => status === undefined || ERROR_CATALOGUE[c] === status);
}

/** The statuses a client can receive (499 is only logged: the client has gone). */
export function errorStatuses(): number[] {
  return [...new Set(Object.values(ERROR_CATALOGUE))].filter((s) => s !== 499).sort((a, b) => a - b);
}

/** The `error` object of the envelope, its `code` limited to `codes`. */
export function errorDetailSchema(codes: readonly ErrorCode[] = errorCodes()) {
  return z.strictObject({
    message: z.string().meta({ description: 'What went wrong, for people; may change between versions.' }),
    type: z.string().meta({ description: "The class of error, fixed by the status (e.g. 'invalid_request_error', 'model_not_installed')." }),
    code: z.enum(codes as [ErrorCode, ...ErrorCode[]]).meta({ description: 'Stable machine-readable code from the catalogue (docs/errors.md).' }),
    param: z.string().nullable().meta({ description: "The request field at fault (e.g. 'voice', 'texts[3].voice'), or null." }),
  });
}

/** `{ "error": { message, type, code, param } }`, for the codes of one status or all of them. */
export function errorEnvelopeSchema(codes?: readonly ErrorCode[]) {
  return z.strictObject({ error: errorDetailSchema(codes) });
}
