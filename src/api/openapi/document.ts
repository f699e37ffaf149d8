/**
 * The OpenAPI 3.1 document, assembled from the operation lists of each endpoint family. Built
 * once, on first request, and served from memory afterwards.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { components, errorCatalogue } from './components.js';
import { audioToolOperations } from './paths-audio-tools.js';
import type { Json } from './json-schema.js';
import { operation, type OperationSpec } from './operation.js';
import { liveOperations } from './paths-live.js';
import { platformOperations } from './paths-platform.js';
import { speechOperations, speechWebhooks } from './paths-speech.js';
import { sttOperations } from './paths-stt.js';
import { voiceOperations } from './paths-voice.js';

const DESCRIPTION = [
  'Self-hosted real-time speech: text to speech (jobs, chunked audio, SSE, WebSocket), speech to text, live voice (the OpenAI Realtime protocol), voice chat.',
  'Every path also answers with a trailing slash (`/v1/tts/` = `/v1/tts`). Errors are `{"error": {message, type, code, param}}`; `x-error-catalogue` lists every code with its status.',
  'Keys: none in open mode (no keys configured); otherwise `Authorization: Bearer sk-tts-…`, with an anonymous free tier on the synthesis endpoints.',
].join('\n\n');

/** The server's version, from the package.json above this module (src/ and dist/src/ alike). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'llais' && pkg.version) return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) return '0.0.0';
    dir = up;
  }
}

/** Every documented operation, each family in its own module. */
function allOperations(): OperationSpec[] {
  return [...platformOperations(), ...speechOperations(), ...sttOperations(), ...audioToolOperations(), ...voiceOperations(), ...liveOperations()];
}

/** Builds the document (use `openApiJson()` to serve it). */
export function buildOpenApiDocument(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const spec of allOperations()) (paths[spec.path] ??= {})[spec.method] = operation(spec);
  return {
    openapi: '3.1.0',
    info: { title: 'Llais', version: packageVersion(), description: DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } },
    tags: ['Platform', 'Text to speech', 'Speech to text', 'Voice chat', 'Audio tools', 'Voice identity', 'Accounts', 'Live (WebSocket)'].map((name) => ({ name })),
    security: [{ apiKey: [] }],
    paths,
    webhooks: speechWebhooks(),
    components: components(),
    'x-error-catalogue': errorCatalogue(),
  };
}

let cached: string | undefined;

/** The document as JSON text, built on first use. */
export function openApiJson(): string {
  cached ??= JSON.stringify(buildOpenApiDocument());
  return cached;
}
