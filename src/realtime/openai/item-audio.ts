/** Transcription of audio a client put inside a conversation item (in the session's input format). */
import { StreamResampler } from '../../audio/resample.js';
import { InputDecoder, SESSION_RATE_HZ } from './audio-io.js';
import { INPUT_RATE_HZ, LiveFeed } from './input-buffer.js';
import type { RealtimeServices } from './services.js';
import type { SessionConfig } from './session-config.js';

export type ItemAudioOutcome = { ok: true; transcript: string; seconds: number } | { ok: false; error: unknown };

export async function transcribeItemAudio(
  bytes: Uint8Array,
  config: SessionConfig,
  transcribe: RealtimeServices['transcribe'],
): Promise<ItemAudioOutcome> {
  const decoder = await InputDecoder.create(config.inputFormat);
  const feed = new LiveFeed();
  try {
    const narrow = new StreamResampler(SESSION_RATE_HZ, INPUT_RATE_HZ);
    feed.push(narrow.process(decoder.decode(bytes)));
    feed.push(narrow.flush());
  } finally {
    decoder.free();
    feed.end();
  }
  try {
    // Not aborted on close: the feed has ended, and aborting a running task terminates its worker.
    const result = await transcribe(feed, { language: config.transcription?.language ?? 'en', model: config.transcription?.model, prompt: config.transcription?.prompt }, new AbortController().signal);
    return { ok: true, transcript: result.text.trim(), seconds: Math.round(feed.seconds * 100) / 100 };
  } catch (error) {
    return { ok: false, error };
  }
}
