/**
 * One operation of the document from a short spec: its security follows the access rules of
 * src/api/access.ts (public, anonymous tier, key required), and its error responses are the
 * statuses it names plus those every request of its kind can meet.
 */
import { policyOf } from '../access.js';
import { errorResponseRef } from './components.js';
import type { Json } from './json-schema.js';

export type Method = 'get' | 'post' | 'delete';

export interface OperationSpec {
  method: Method;
  /** OpenAPI form, `{name}` for a path parameter; the router's pattern with `:name`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  parameters?: Json[];
  requestBody?: Json;
  /** Responses by status: the successes, and any error status whose body is not only the envelope. */
  responses: Record<string, Json>;
  /** Error statuses this operation answers with, beyond the common ones. */
  errors?: number[];
  /** `x-…` extensions (SSE events, WebSocket messages). */
  extensions?: Json;
}

/** Statuses any request can meet: a server fault, a draining or overloaded server. */
const ALWAYS = [500, 503];
/** Statuses of the account rules: a bad key (or none where one is needed), a plan's limits. */
const GATED = [401, 403, 429];

/** The security requirement of an operation, from the access policy of its route. */
function security(policy: ReturnType<typeof policyOf>): Json[] {
  switch (policy) {
    case 'public':
      return [];
    case 'anonymous':
      return [{}, { apiKey: [] }];
    case 'account':
      return [{ apiKey: [] }];
    case 'own':
      return [{}, { metricsToken: [] }];
  }
}

/** A path or query parameter. */
export function param(where: 'query' | 'path' | 'header', name: string, schema: Json, description: string, required = where === 'path'): Json {
  return { name, in: where, required, description, schema };
}

/** A response with a JSON body. */
export function jsonResponse(description: string, schema: Json): Json {
  return { description, content: { 'application/json': { schema } } };
}

/** The operation object of `spec`. */
export function operation(spec: OperationSpec): Json {
  const policy = policyOf(spec.method.toUpperCase(), spec.path);
  const gated = policy === 'anonymous' || policy === 'account' ? GATED : [];
  const statuses = [...new Set([...(spec.errors ?? []), ...gated, ...ALWAYS])].sort((a, b) => a - b);
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    security: security(policy),
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    ...(spec.requestBody ? { requestBody: spec.requestBody } : {}),
    // An operation's own description of a status (health's 503 carries its body) wins over the envelope.
    responses: { ...Object.fromEntries(statuses.map((s) => [String(s), errorResponseRef(s)])), ...spec.responses },
    ...spec.extensions,
  };
}
