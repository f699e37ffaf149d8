/**
 * Sends a planned synthesis to a client as it is produced: raw audio bytes over chunked
 * transfer encoding, or OpenAI-shaped `speech.audio.*` Server-Sent Events.
 */
import { randomUUID } from 'node:crypto';
import { encodeAudio } from '../audio/encode.js';
import { contentTypeOf, type AudioFormat } from '../audio/formats.js';
import { OUTPUT_SAMPLE_RATE_HZ, type AudioChunk } from '../audio/pcm.js';
import { wholeFrames } from '../audio/whole-frames.js';
import { ApiError } from '../errors.js';
import type { HttpExchange } from '../http/exchange.js';
import { SseWriter } from '../http/sse.js';
import type { Logger } from '../logger.js';
import { durationSec, newStats, pcmOf, synthesizeSpeech, type StreamStats } from '../tts/synthesize.js';
import type { PlannedSpeech } from '../tts/plan.js';

/** What the caller adds to a stream: the balance to report, and a hook for time to first audio (seconds since the request arrived). */
export interface StreamOptions {
  creditsRemaining?: number | null;
  onFirstAudio?: (seconds: number) => void;
}

function pcmBytes(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** Encoded audio as it is produced, PCM passing straight through. */
function audioBytes(chunks: AsyncIterable<AudioChunk>, format: AudioFormat, signal: AbortSignal): AsyncIterable<Uint8Array> {
  return encodeAudio(pcmOf(chunks), { format, sampleRateHz: OUTPUT_SAMPLE_RATE_HZ }, signal);
}

/**
 * Chunked audio response; the headers say what the body is before the first byte exists.
 * Resolves true when the whole audio was sent, false when the client left or it failed after the
 * start (the caller refunds then); throws when it failed before the start.
 */
export async function streamAudio(ex: HttpExchange, planned: PlannedSpeech, log: Logger, opts: StreamOptions = {}): Promise<boolean> {
  const creditsRemaining = opts.creditsRemaining ?? null;
  const { format } = planned.spec;
  const stats = newStats();
  const chunks = synthesizeSpeech(planned.plan, ex.signal, stats);
  let started = false;
  try {
    for await (const bytes of audioBytes(chunks, format, ex.signal)) {
      if (!started) {
        started = true;
        opts.onFirstAudio?.((performance.now() - ex.startedAt) / 1000);
        ex.startStream(200, {
          'Content-Type': contentTypeOf(format),
          'Cache-Control': 'no-store',
          'X-Model': planned.spec.model,
          'X-Voice': planned.spec.voice,
          'X-Credits-Used': String(planned.creditsUsed),
          ...(creditsRemaining === null ? {} : { 'X-Credits-Remaining': String(creditsRemaining) }),
        });
      }
      await ex.write(bytes);
    }
    if (!started) ex.startStream(200, { 'Content-Type': contentTypeOf(format) });
    ex.end();
    log.info({ format, durationSec: durationSec(stats), firstChunkMs: stats.firstChunkMs }, 'speech streamed');
    return true;
  } catch (err) {
    if (ex.aborted) {
      log.info({ format, sentSec: durationSec(stats) }, 'speech stream cancelled by client');
      return false;
    }
    if (!started) throw err;
    log.error({ err }, 'speech stream failed after start');
    ex.abortConnection();
    return false;
  }
}

/**
 * `speech.audio.delta` / `speech.word` / `speech.audio.done` events, or an `error` event. A delta
 * of a compressed format holds whole frames (Ogg pages; FLAC's first delta starts with its whole header).
 */
export async function streamSse(ex: HttpExchange, planned: PlannedSpeech, log: Logger, opts: StreamOptions = {}): Promise<boolean> {
  const { format } = planned.spec;
  const uuid = randomUUID().replace(/-/g, '');
  const stats: StreamStats = newStats();
  const creditsRemaining = opts.creditsRemaining ?? null;
  let first = true;
  const firstAudio = (): void => {
    if (first) opts.onFirstAudio?.((performance.now() - ex.startedAt) / 1000);
    first = false;
  };
  const sse = new SseWriter(ex);
  sse.open();
  try {
    if (format === 'pcm') {
      for await (const chunk of synthesizeSpeech(planned.plan, ex.signal, stats)) {
        if (chunk.pcm.length > 0) {
          firstAudio();
          await sse.send({ type: 'speech.audio.delta', audio: Buffer.from(pcmBytes(chunk.pcm)).toString('base64') });
        }
        for (const w of chunk.words ?? []) await sse.send({ type: 'speech.word', word: w.word, start: w.start, end: w.end });
      }
    } else {
      // Word events are collected on the PCM side and sent beside the encoded bytes.
      const words: Array<{ word: string; start: number; end: number }> = [];
      const tapped = (async function* () {
        for await (const chunk of synthesizeSpeech(planned.plan, ex.signal, stats)) {
          if (chunk.words) words.push(...chunk.words);
          yield chunk;
        }
      })();
      // Each delta is whole frames (pages), so a client can decode it as it arrives.
      for await (const bytes of wholeFrames(audioBytes(tapped, format, ex.signal), format)) {
        firstAudio();
        await sse.send({ type: 'speech.audio.delta', audio: Buffer.from(bytes).toString('base64') });
        for (const w of words.splice(0)) await sse.send({ type: 'speech.word', ...w });
      }
      for (const w of words.splice(0)) await sse.send({ type: 'speech.word', ...w });
    }
    const duration = Math.round(durationSec(stats) * 1000) / 1000;
    await sse.send({
      type: 'speech.audio.done',
      uuid,
      duration,
      format,
      model: planned.spec.model,
      voice: planned.spec.voice,
      credits_used: planned.creditsUsed,
      credits_remaining: creditsRemaining,
      usage: { input_characters: planned.chars, output_audio_seconds: duration },
    });
    sse.close();
    log.info({ format, durationSec: duration, firstChunkMs: stats.firstChunkMs }, 'speech sse streamed');
    return true;
  } catch (err) {
    if (ex.aborted) {
      log.info({ format, sentSec: durationSec(stats) }, 'speech sse cancelled by client');
      return false;
    }
    const apiErr = err instanceof ApiError ? err : new ApiError('synthesis_failed', `Synthesis failed (request id ${ex.requestId})`);
    if (!(err instanceof ApiError)) log.error({ err }, 'speech sse failed');
    try {
      await sse.send({ type: 'error', error: apiErr.toEnvelope().error });
    } finally {
      sse.close();
    }
    return false;
  }
}
