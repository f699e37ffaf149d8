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

/** A union of message schemas, one per `type`, with the map of each message's schema beside it. */
export function messageUnion(messages: Record<string, z.ZodType>, io: 'input' | 'output'): { oneOf: Json[]; byType: Record<string, Json> } {
  const byType = Object.fromEntries(Object.entries(messages).map(([type, s]) => [type, jsonSchemaOf(s, io)]));
  return { oneOf: Object.values(byType), byType };
}

/** The members of a discriminated union keyed by their `type` literal. */
export function byTypeLiteral(union: z.ZodDiscriminatedUnion<readonly z.ZodObject[]>): Record<string, z.ZodType> {
  return Object.fromEntries(union.options.map((o) => [String((o.shape.type as z.ZodLiteral).value), o]));
}
