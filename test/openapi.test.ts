/**
 * The OpenAPI document against the server it describes: valid OpenAPI 3.1 (checked by a
 * validator nobody here wrote), every route documented, every error code listed with its status,
 * and real responses and stream messages of a running server valid against the document's
 * schemas (ajv, draft 2020-12). And the /docs page: HTML whose every asset this server serves.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createParser } from 'eventsource-parser';
import WebSocket from 'ws';
import type { App } from '../src/app.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../src/errors.js';
import { startTestApp } from './helpers/app.js';
import { rawRealtime } from './helpers/realtime.js';

type Json = Record<string, any>;

/** Debian's Chromium, when installed: the page is then rendered by a real browser too. */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

// ajv-formats is CommonJS with its function as `default`.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
ajv.addFormat('binary', true);

/** `value` with every `$ref` into the document replaced by what it points at. */
function deref(doc: Json, value: unknown): any {
  if (Array.isArray(value)) return value.map((v) => deref(doc, v));
  if (!value || typeof value !== 'object') return value;
  const obj = value as Json;
  if (typeof obj.$ref === 'string') {
    const target = obj.$ref.replace(/^#\//, '').split('/').reduce((node: Json, key: string) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    return deref(doc, target);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, deref(doc, v)]));
}

/** Asserts `body` is valid against `schema`, showing ajv's errors when it is not. */
function assertValid(schema: Json, body: unknown, what: string): void {
  const validate = ajv.compile(schema);
  assert.ok(validate(body), `${what}: ${JSON.stringify(validate.errors, null, 1)}\n${JSON.stringify(body).slice(0, 800)}`);
}

/** The JSON schema of the documented `status` response of `method path`. */
function responseSchema(doc: Json, path: string, method: string, status: number): Json {
  const response = deref(doc, doc.paths[path]?.[method]?.responses?.[String(status)]);
  assert.ok(response, `${method.toUpperCase()} ${path} documents no ${status} response`);
  const schema = response.content?.['application/json']?.schema;
  assert.ok(schema, `${method.toUpperCase()} ${path} ${status} has no JSON schema`);
  return schema;
}

/** Fetches `url` and checks its JSON body against the documented response of its status. */
async function checkResponse(doc: Json, res: Response, path: string, method: string, expectedStatus: number): Promise<Json> {
  assert.equal(res.status, expectedStatus, `${method.toUpperCase()} ${path}`);
  const body = (await res.json()) as Json;
  assertValid(responseSchema(doc, path, method, res.status), body, `${method.toUpperCase()} ${path} ${res.status}`);
  return body;
}

describe('OpenAPI document and /docs', () => {
  let app: App;
  let doc: Json;

  before(async () => {
    app = await startTestApp();
    const res = await fetch(`${app.url}/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    doc = (await res.json()) as Json;
  });
  after(() => app.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const result = await new Validator().validate(doc);
    assert.ok(result.valid, JSON.stringify(result.errors, null, 1));
  });

  it('documents every route the router and the WebSocket server serve, and no other', () => {
    const routed = app.http.router.registered().map((r) => `${r.method.toLowerCase()} ${r.pattern.replace(/:(\w+)/g, '{$1}')}`);
    const sockets = app.http.webSocketPaths.map((p) => `get ${p}`);
    const documented = Object.entries(doc.paths as Json).flatMap(([path, ops]) => Object.keys(ops as Json).map((m) => `${m} ${path}`));
    assert.deepEqual([...documented].sort(), [...routed, ...sockets].sort());
    for (const p of app.http.webSocketPaths) {
      const messages = doc.paths[p].get['x-websocket-messages'];
      assert.ok(Object.keys(messages.client).length > 0 && Object.keys(messages.server).length > 0, `${p} documents its messages`);
    }
  });

  it('lists every error code of the catalogue under its status, and every operation answers with the envelope', () => {
    for (const [code, status] of Object.entries(ERROR_CATALOGUE) as Array<[ErrorCode, number]>) {
      assert.equal(doc['x-error-catalogue'][code], status, code);
      if (status === 499) continue;
      const schema = deref(doc, doc.components.responses[`Error${status}`]).content['application/json'].schema;
      assert.ok(schema.properties.error.properties.code.enum.includes(code), `${code} under Error${status}`);
    }
    for (const [path, ops] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(ops as Json)) assert.ok(op.responses['500'], `${method} ${path} documents 500`);
    }
  });

  it('matches real responses: health, models, voices, a TTS job from creation to completion, errors', async () => {
    await checkResponse(doc, await fetch(`${app.url}/v1/health/`), '/v1/health', 'get', 200);
    const models = await checkResponse(doc, await fetch(`${app.url}/v1/models/`), '/v1/models', 'get', 200);
    assert.ok(models.models.length > 0);
    const voices = await checkResponse(doc, await fetch(`${app.url}/v1/voices/?language=en`), '/v1/voices', 'get', 200);
    assert.ok(voices.voices.length > 0);
    await checkResponse(doc, await fetch(`${app.url}/v1/voices/?gender=robot`), '/v1/voices', 'get', 400);

    const post = (body: unknown): Promise<Response> => fetch(`${app.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const job = await checkResponse(doc, await post({ text: 'Documented and checked.', voice: 'en-us', format: 'wav' }), '/v1/tts', 'post', 200);
    const statuses = new Set<string>();
    let result: Json;
    const deadline = Date.now() + 20_000;
    for (;;) {
      result = await checkResponse(doc, await fetch(`${app.url}/v1/speech/results/?uuid=${job.uuid}`), '/v1/speech/results', 'get', 200);
      statuses.add(result.status);
      if (result.status !== 'queued' && result.status !== 'processing') break;
      assert.ok(Date.now() < deadline, `job still ${result.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(result.status, 'completed');
    const file = await fetch(result.result_url);
    assert.equal(file.status, 200);
    assert.ok(Object.keys(doc.paths['/static/downloads/{uuid}/{file}'].get.responses['200'].content).includes(file.headers.get('content-type')!));
    await file.arrayBuffer();

    const missing = await checkResponse(doc, await post({ text: 'No voice given.' }), '/v1/tts', 'post', 400);
    assert.equal(missing.error.code, 'missing_required_parameter');
    const badVoice = await checkResponse(doc, await post({ text: 'Hello.', voice: 'no-such-voice' }), '/v1/tts', 'post', 400);
    assert.equal(badVoice.error.code, 'voice_not_found');
    await checkResponse(doc, await fetch(`${app.url}/v1/speech/results/?uuid=${'0'.repeat(32)}`), '/v1/speech/results', 'get', 404);
  });

  it('matches real responses: transcription (ours and OpenAI json/verbose_json), voice chat, pronunciations, batches', async () => {
    const speech = await fetch(`${app.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tts-1', input: 'Hello world.', voice: 'en-us', response_format: 'wav' }) });
    assert.equal(speech.status, 200);
    const wav = new Blob([await speech.arrayBuffer()], { type: 'audio/wav' });
    const form = (fields: Record<string, string>): FormData => {
      const f = new FormData();
      for (const [k, v] of Object.entries(fields)) f.append(k, v);
      f.append('file', wav, 'hello.wav');
      return f;
    };
    const stt = await checkResponse(doc, await fetch(`${app.url}/v1/stt/`, { method: 'POST', body: form({ timestamps: 'true' }) }), '/v1/stt', 'post', 200);
    assert.ok(stt.segments.length > 0);
    for (const response_format of ['json', 'verbose_json']) {
      const fields = { model: 'whisper-1', response_format, ...(response_format === 'verbose_json' ? { 'timestamp_granularities[]': 'word' } : {}) };
      await checkResponse(doc, await fetch(`${app.url}/v1/audio/transcriptions`, { method: 'POST', body: form(fields) }), '/v1/audio/transcriptions', 'post', 200);
    }
    const json = (method: string, body?: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await checkResponse(doc, await fetch(`${app.url}/v1/voice-chat/`, json('POST', { text: 'Hello there.', voice: 'en-us' })), '/v1/voice-chat', 'post', 200);
    const entry = await checkResponse(doc, await fetch(`${app.url}/api/v1/pronunciations/`, json('POST', { word: 'Llais', replacement: 'thlice' })), '/api/v1/pronunciations', 'post', 200);
    await checkResponse(doc, await fetch(`${app.url}/api/v1/pronunciations/`), '/api/v1/pronunciations', 'get', 200);
    await checkResponse(doc, await fetch(`${app.url}/api/v1/pronunciations/?id=${entry.id}`, { method: 'DELETE' }), '/api/v1/pronunciations', 'delete', 200);
    const batch = await checkResponse(doc, await fetch(`${app.url}/v1/tts/batch/`, json('POST', { texts: [{ text: 'One.', voice: 'en-us' }] })), '/v1/tts/batch', 'post', 200);
    await checkResponse(doc, await fetch(`${app.url}/v1/tts/batch/result/?batch_id=${batch.batch_id}`), '/v1/tts/batch/result', 'get', 200);
  });

  it('matches the events of a real SSE stream against x-sse-events', async () => {
    const events = doc.paths['/v1/tts/stream'].post['x-sse-events'] as Json;
    const res = await fetch(`${app.url}/v1/tts/stream/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Streamed. Then done.', voice: 'en-us' }) });
    assert.equal(res.status, 200);
    const seen: string[] = [];
    const parser = createParser({
      onEvent: (e) => {
        const event = JSON.parse(e.data) as Json;
        assert.ok(events[event.type], `undocumented SSE event ${event.type}`);
        assertValid(events[event.type], event, `SSE ${event.type}`);
        seen.push(event.type);
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) parser.feed(decoder.decode(chunk, { stream: true }));
    assert.ok(seen.includes('speech.audio.delta'));
    assert.equal(seen.at(-1), 'speech.audio.done');
  });

  it('matches the messages of a real /v1/tts/ws session against x-websocket-messages', async () => {
    const { client, server } = doc.paths['/v1/tts/ws'].get['x-websocket-messages'] as { client: Json; server: Json };
    const sent = [{ type: 'text', text: 'Hello over a socket.' }, { type: 'close' }];
    for (const m of sent) assertValid(client[m.type], m, `client ${m.type}`);
    const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/v1/tts/ws?voice=en-us`);
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => sent.forEach((m) => ws.send(JSON.stringify(m))));
      ws.on('message', (data, binary) => {
        if (binary) return;
        const event = JSON.parse(String(data)) as Json;
        try {
          assert.ok(server[event.type], `undocumented server event ${event.type}`);
          assertValid(server[event.type], event, `server ${event.type}`);
          seen.push(event.type);
        } catch (err) {
          reject(err);
        }
      });
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    assert.deepEqual([seen[0], seen.at(-1)], ['session.created', 'done']);
    assert.ok(seen.includes('audio.delta'));
  });

  it('matches the events of a real /v1/realtime turn against x-websocket-messages', async () => {
    const { client, server } = doc.paths['/v1/realtime'].get['x-websocket-messages'] as { client: Json; server: Json };
    const { ws, log, send } = await rawRealtime(`${app.url.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`);
    try {
      const sent = [
        { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello.' }] } },
        { type: 'response.create' },
        { type: 'conversation.item.delete', item_id: 'no-such-item' },
      ];
      for (const e of sent) {
        assertValid(client[e.type], e, `client ${e.type}`);
        send(e);
      }
      await log.waitFor('response.done');
      await log.waitFor('error');
      for (const { event } of log.events) {
        assert.ok(server[event.type], `undocumented server event ${event.type}`);
        assertValid(server[event.type], event, `server ${event.type}`);
      }
      assert.ok(log.of('response.output_audio.delta').length > 0 || log.of('response.output_text.delta').length > 0);
    } finally {
      ws.close();
    }
  });

  it('/docs is HTML whose every asset comes from this server, which serves each', async () => {
    const res = await fetch(`${app.url}/docs/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    // The browser itself refuses anything from elsewhere (the Chromium test renders under it).
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'.*connect-src 'self'/);
    const html = await res.text();
    const refs = [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/g)].map((m) => m[1]!);
    assert.ok(refs.length >= 3, 'the page loads its styles and scripts');
    for (const ref of refs) {
      const url = new URL(ref, `${app.url}/docs/`);
      assert.equal(url.origin, app.url, `${ref} is same-origin`);
      const asset = await fetch(url);
      assert.equal(asset.status, 200, ref);
      const text = await asset.text();
      if (ref.endsWith('.css')) for (const m of text.matchAll(/url\(\s*["']?([^"')]+)/g)) assert.match(m[1]!, /^(data:|[^:]*$)/, `CSS loads ${m[1]!.slice(0, 60)}`);
      if (ref.endsWith('init.js')) {
        assert.doesNotMatch(text, /(https?:)?\/\/[a-z]/i, 'the start-up script names no other host');
        assert.match(text, /validatorUrl:\s*null/, "Swagger UI's outside validator is off");
        assert.match(text, /url:\s*'\/openapi\.json'/);
      }
      if (ref.endsWith('.js')) assert.doesNotMatch(text, /\/\/(unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|fonts\.googleapis\.com)\//, `${ref} loads nothing from a CDN`);
    }
    const unknown = await fetch(`${app.url}/docs/assets/package.json`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as Json).error.code, 'not_found');
  });

  it('renders every path in headless Chromium while every other host is unreachable', { skip: CHROMIUM ? false : 'chromium is not installed' }, async () => {
    // Any request to another host fails, so the page renders only if it needs none.
    const { stdout } = await promisify(execFile)(
      CHROMIUM!,
      ['--headless', '--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--virtual-time-budget=15000', '--dump-dom', `${app.url}/docs`],
      { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const rendered = new Set([...stdout.matchAll(/data-path="([^"]+)"/g)].map((m) => m[1]));
    for (const path of Object.keys(doc.paths)) assert.ok(rendered.has(path), `${path} rendered`);
  });
});

describe('OpenAPI document with keys required', () => {
  it('serves /openapi.json and /docs without a key, like /v1/health/', async () => {
    const app = await startTestApp({ auth: 'keys' });
    try {
      for (const path of ['/openapi.json', '/docs', '/docs/assets/init.js']) assert.equal((await fetch(`${app.url}${path}`)).status, 200, path);
      assert.equal((await fetch(`${app.url}/v1/stt/`, { method: 'POST' })).status, 401);
    } finally {
      await app.close();
    }
  });
});
