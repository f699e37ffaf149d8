/**
 * The document's shared parts: the security schemes, one error response per status (its codes
 * listed from the catalogue in src/errors.ts), and the error catalogue itself as an extension.
 */
import { ERROR_CATALOGUE } from '../../errors.js';
import { errorCodes, errorEnvelopeSchema, errorStatuses } from '../schemas/error-envelope.js';
import { jsonSchemaOf, type Json } from './json-schema.js';

/** The reference to the error response of `status`. */
export function errorResponseRef(status: number): Json {
  return { $ref: `#/components/responses/Error${status}` };
}

function errorResponse(status: number): Json {
  const codes = errorCodes(status);
  return {
    description: `Error envelope; \`code\` is one of: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
    content: { 'application/json': { schema: jsonSchemaOf(errorEnvelopeSchema(codes), 'output') } },
  };
}

/** `components` of the document. */
export function components(): Json {
  return {
    securitySchemes: {
      apiKey: {
        type: 'http',
        scheme: 'bearer',
        description:
          'An API key (`sk-tts-…`) as `Authorization: Bearer <key>`. WebSocket clients that cannot set headers may offer the subprotocol `openai-insecure-api-key.<key>`. In open mode (no keys configured, the default on localhost) no key is needed anywhere.',
      },
      metricsToken: { type: 'http', scheme: 'bearer', description: 'The configured `metricsToken`, when one is set; otherwise /metrics is open.' },
    },
    schemas: { ErrorEnvelope: jsonSchemaOf(errorEnvelopeSchema(), 'output') },
    responses: Object.fromEntries(errorStatuses().map((s) => [`Error${s}`, errorResponse(s)])),
  };
}

/** `x-error-catalogue`: every code with its HTTP status (499: the client left; never sent). */
export function errorCatalogue(): Json {
  return { ...ERROR_CATALOGUE };
}
