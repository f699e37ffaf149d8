/**
 * POST /v1/tts/stream/'s server-sent events as typed client events: audio deltas decoded from
 * base64 (and, for raw PCM, as 16-bit samples), word times, and `speech.audio.done`; an `error`
 * event is thrown as `LlaisError`. Leaving the loop early (break, or the caller's signal)
 * cancels the response body, which closes the connection: the server stops synthesizing.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { LlaisError } from './errors.js';
import type { SpeechStreamEvent } from './types.js';

/** An audio delta: the bytes, and for raw PCM (the stream's default) the samples. */
export interface SpeechAudioDelta {
  type: 'speech.audio.delta';
  /** The chunk as sent: PCM16 LE mono 24 kHz, or whole frames of the asked format. */
  audio: Uint8Array;
  /** The chunk's samples when the stream is raw PCM (a sample split across chunks is joined); else null. */
  pcm: Int16Array | null;
}

/** What `client.tts.stream()` yields. */
export type SpeechEvent = SpeechAudioDelta | Extract<SpeechStreamEvent, { type: 'speech.word' | 'speech.audio.done' }>;

/** Joins PCM16 bytes into whole samples across chunk boundaries. */
class SampleJoiner {
  private carry: number | null = null;

  push(bytes: Uint8Array): Int16Array {
    let joined = bytes;
    if (this.carry !== null) {
      joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.carry;
      joined.set(bytes, 1);
    }
    const whole = joined.length & ~1;
    this.carry = whole < joined.length ? joined[whole]! : null;
    // A fresh buffer: Int16Array needs an even byte offset, which a decoded chunk may not have.
    const samples = new Int16Array(whole / 2);
    new Uint8Array(samples.buffer).set(joined.subarray(0, whole));
    return samples;
  }
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The typed events of a `/v1/tts/stream/` response; `pcm` says whether the audio is raw PCM16.
 * Events already parsed when `signal` aborts are not yielded: the abort wins at once.
 */
export async function* speechEvents(res: Response, pcm: boolean, signal?: AbortSignal): AsyncGenerator<SpeechEvent, void, undefined> {
  if (!res.body) throw new LlaisError(res.status, { code: `http_${res.status}`, type: 'http_error', param: null, message: 'the stream response has no body' });
  const reader = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  const samples = pcm ? new SampleJoiner() : null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      signal?.throwIfAborted();
      if (done) return;
      const event = JSON.parse(value.data) as SpeechStreamEvent;
      switch (event.type) {
        case 'speech.audio.delta': {
          const audio = fromBase64(event.audio);
          yield { type: event.type, audio, pcm: samples ? samples.push(audio) : null };
          break;
        }
        case 'speech.word':
          yield event;
          break;
        case 'speech.audio.done':
          yield event;
          return;
        case 'error':
          throw new LlaisError(null, event.error);
        default: {
          const unknown: never = event;
          throw new Error(`unknown stream event ${(unknown as { type: string }).type}`);
        }
      }
    }
  } finally {
    // Closes the connection when the caller stops early; a no-op once the stream has ended.
    await reader.cancel().catch(() => {});
  }
}
