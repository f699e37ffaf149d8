/**
 * The playground's one door to the server: same-origin requests with the optional API key
 * (kept in sessionStorage, so it lasts the tab and no longer), error envelopes turned into
 * Errors with the server's message, and SSE read from a POST response (EventSource is GET-only).
 */

const KEY_STORAGE = 'llais.apiKey';

/** The API key typed into the page, or '' (open mode needs none). */
export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

function headers(extra = {}) {
  const key = apiKey();
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

/** Throws the envelope's `error.message` (or the status line) when `res` is not a success. */
async function check(res) {
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body?.error?.message) message = body.error.message;
  } catch {
    // Not the JSON envelope: the status line says enough.
  }
  throw new Error(message);
}

export async function getJson(path) {
  return (await check(await fetch(path, { headers: headers() }))).json();
}

/** POST a JSON body; the response, already checked. */
export async function postJson(path, body, signal) {
  return check(await fetch(path, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body), signal }));
}

/** POST a multipart form; the parsed JSON reply. */
export async function postForm(path, form, signal) {
  return (await check(await fetch(path, { method: 'POST', headers: headers(), body: form, signal }))).json();
}

/** The JSON events of an SSE response, one by one as they arrive. */
export async function* sseEvents(res) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (data) yield JSON.parse(data);
    }
  }
}

/**
 * A WebSocket to `path` on this server. A browser cannot set headers on a WebSocket, so the key
 * travels as the `openai-insecure-api-key.<key>` subprotocol, the way OpenAI's browser clients send it.
 */
export function openSocket(path) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const key = apiKey();
  return key ? new WebSocket(url, ['realtime', `openai-insecure-api-key.${key}`]) : new WebSocket(url);
}

/** Base64 of little-endian PCM16 bytes -> Int16Array. */
export function pcmFromBase64(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length & ~1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Int16Array(bytes.buffer);
}

/** Int16Array -> base64 of its little-endian bytes. */
export function base64FromPcm(pcm) {
  const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
