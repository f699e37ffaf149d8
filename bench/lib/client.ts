/**
 * The benchmark's HTTP client: Node's global `fetch` (the undici bundled with Node 20), whose
 * global dispatcher keeps connections alive, so after a warm-up request every timed request
 * runs on a warm connection, like a real client's. `connectionsOpened()` counts new TCP
 * connections (undici's `undici:client:connected` diagnostics channel) so a run can show that.
 *
 * Each call times from just before `fetch()` to the first audio, and to the end of the body.
 */
import { subscribe } from 'node:diagnostics_channel';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Longest a single request may take end to end; well above any healthy response (~1 s). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The SSE endpoints' default audio: PCM16 mono at 24 kHz. */
const PCM_BYTES_PER_SECOND = 24_000 * 2;

let connections = 0;
subscribe('undici:client:connected', () => {
  connections++;
});

/** TCP connections fetch has opened since this process started. */
export function connectionsOpened(): number {
  return connections;
}

export interface StreamTiming {
  /** ms from request start to the first audio (first SSE delta, or first body byte). */
  firstAudioMs: number;
  /** ms from request start to the end of the response. */
  doneMs: number;
  /** Audio bytes received (decoded from base64 for SSE). */
  audioBytes: number;
  /**
   * SSE PCM only: how long a listener who started playing at the first delta would have heard
   * silence waiting for later deltas (24 kHz 16-bit mono played in real time), ms. 0: no stutter.
   */
  stallMs?: number;
  headers: Headers;
}

function post(url: string, body: unknown, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<Response> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
}

async function failure(res: Response, what: string): Promise<Error> {
  const text = await res.text().catch(() => '');
  return new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
}

/**
 * An SSE synthesis (`POST /v1/tts/stream/`, or `/v1/audio/speech` with `stream_format: "sse"`):
 * first audio is the first `speech.audio.delta` event, the end is `speech.audio.done`.
 * Throws on an `error` event, a non-200 answer, or a stream that ends without `done`.
 */
export async function timeSse(url: string, body: unknown, signal?: AbortSignal): Promise<StreamTiming> {
  const started = performance.now();
  const res = await post(url, body, signal);
  if (res.status !== 200 || !res.body) throw await failure(res, `POST ${url}`);
  let firstAudioMs = Number.NaN;
  let doneMs = Number.NaN;
  let audioBytes = 0;
  let stallMs = 0;
  let streamError: Error | null = null;
  const parser = createParser({
    onEvent(event: EventSourceMessage) {
      const data = JSON.parse(event.data) as { type: string; audio?: string; error?: unknown };
      if (data.type === 'speech.audio.delta') {
        const now = performance.now() - started;
        if (Number.isNaN(firstAudioMs)) firstAudioMs = now;
        // The listener reaches this delta when everything before it has played, plus any stalls so far.
        const due = firstAudioMs + stallMs + (audioBytes / PCM_BYTES_PER_SECOND) * 1000;
        if (now > due) stallMs += now - due;
        audioBytes += Buffer.byteLength(data.audio ?? '', 'base64');
      } else if (data.type === 'speech.audio.done') {
        doneMs = performance.now() - started;
      } else if (data.type === 'error') {
        streamError = new Error(`SSE error event: ${JSON.stringify(data.error)}`);
      }
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of res.body) parser.feed(decoder.decode(chunk, { stream: true }));
  if (streamError) throw streamError;
  if (Number.isNaN(doneMs)) throw new Error(`POST ${url}: SSE stream ended without speech.audio.done`);
  if (audioBytes === 0) throw new Error(`POST ${url}: SSE stream carried no audio`);
  return { firstAudioMs, doneMs, audioBytes, stallMs, headers: res.headers };
}

/** A streamed audio body (`POST /v1/audio/speech`): first audio is the first body byte. `headers` adds e.g. an API key. */
export async function timeAudioBody(url: string, body: unknown, signal?: AbortSignal, headers?: Record<string, string>): Promise<StreamTiming> {
  const started = performance.now();
  const res = await post(url, body, signal, headers);
  if (res.status !== 200 || !res.body) throw await failure(res, `POST ${url}`);
  let firstAudioMs = Number.NaN;
  let audioBytes = 0;
  for await (const chunk of res.body) {
    if (chunk.byteLength > 0 && Number.isNaN(firstAudioMs)) firstAudioMs = performance.now() - started;
    audioBytes += chunk.byteLength;
  }
  const doneMs = performance.now() - started;
  if (audioBytes === 0) throw new Error(`POST ${url}: empty audio body`);
  return { firstAudioMs, doneMs, audioBytes, headers: res.headers };
}

/** GETs a URL and returns its text; for /metrics and warming connections. */
export async function getText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text;
}

/** One Prometheus sample's value, e.g. `metric(text, 'llais_event_loop_delay_seconds{quantile="0.99"}')`. */
export function metric(prometheusText: string, series: string): number {
  for (const line of prometheusText.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return Number.NaN;
}
