/**
 * zod schemas to the JSON Schema (draft 2020-12) that OpenAPI 3.1 embeds. Requests are
 * described by what a client may send (`io: 'input'`: defaults make fields optional), responses
 * by what the server sends (`io: 'output'`).
 */
import { z } from 'zod';

/** A JSON object of the document. */
export type Json = Record<string, unknown>;

/** The JSON Schema of `schema`, without `$schema` (the document's dialect applies). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** The JSON Schema of each message of a protocol, keyed by its `type` (for `x-sse-events`, `x-websocket-messages`). */
export function messageSchemas(messages: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  return Object.fromEntries(Object.entries(messages).map(([type, s]) => [type, jsonSchemaOf(s, io)]));
}

/** The members of a discriminated union keyed by their `type` literal. */
export function byTypeLiteral(union: z.ZodDiscriminatedUnion<readonly z.ZodObject[]>): Record<string, z.ZodType> {
  return Object.fromEntries(union.options.map((o) => [String((o.shape.type as z.ZodLiteral).value), o]));
}
