/**
 * The streaming synthesis pipeline: prepared text pieces -> engine -> 24 kHz PCM chunks with
 * word timings on the stream's clock. The pieces go through the look-ahead queue
 * (`look-ahead.ts`): the next piece is requested while the current one plays out, so long texts
 * stream without gaps, and only the first piece jumps the queue.
 */
import { OUTPUT_SAMPLE_RATE_HZ, type AudioChunk, type WordTiming } from '../audio/pcm.js';
import { StreamResampler } from '../audio/resample.js';
import type { SynthesisRequest, TtsEngine, Voice } from '../engines/tts/types.js';
import { LookAheadQueue } from './look-ahead.js';

export interface SpeechPlan {
  engine: TtsEngine;
  voice: Voice;
  language: string;
  speed: number;
  /** Text pieces, the first one short. */
  pieces: string[];
  /**
   * This plan continues a stream already speaking (a later sentence of a live reply): none of its
   * pieces jumps the queue, so other streams' first pieces still go first.
   */
  continuation?: boolean;
}

/** Running totals of a stream, filled in as it is produced. */
export interface StreamStats {
  samples: number;
  words: WordTiming[];
  /** Milliseconds from the call to the first PCM chunk. */
  firstChunkMs: number | null;
}

export function newStats(): StreamStats {
  return { samples: 0, words: [], firstChunkMs: null };
}

export function durationSec(stats: StreamStats): number {
  return stats.samples / OUTPUT_SAMPLE_RATE_HZ;
}

export async function* synthesizeSpeech(plan: SpeechPlan, signal: AbortSignal, stats: StreamStats = newStats()): AsyncGenerator<AudioChunk> {
  const started = performance.now();
  // The next piece is requested as soon as the current one produces, not when it ends.
  const pieces = new LookAheadQueue<never>((text, continuation) => {
    const req: SynthesisRequest = {
      text,
      voice: plan.voice.id,
      language: plan.language,
      speed: plan.speed,
      priority: continuation || plan.continuation ? 'rest' : 'first',
      sampleRateHz: OUTPUT_SAMPLE_RATE_HZ,
    };
    return plan.engine.synthesize(req, signal)[Symbol.asyncIterator]();
  });
  for (const piece of plan.pieces) pieces.pushSentence(piece);
  pieces.end();
  let resampler: StreamResampler | null = null;
  let resamplerFrom = 0;
  for await (const piece of pieces.entries(signal)) {
    if (piece.type !== 'sentence') continue;
    const pieceStartSec = stats.samples / OUTPUT_SAMPLE_RATE_HZ;
    for await (const chunk of piece.chunks) {
      if (resampler === null || resamplerFrom !== chunk.sampleRateHz) {
        resampler = chunk.sampleRateHz === OUTPUT_SAMPLE_RATE_HZ ? null : new StreamResampler(chunk.sampleRateHz, OUTPUT_SAMPLE_RATE_HZ);
        resamplerFrom = chunk.sampleRateHz;
      }
      const pcm = resampler ? resampler.process(chunk.pcm) : chunk.pcm;
      const words = chunk.words?.map((w) => ({ word: w.word, start: round3(w.start + pieceStartSec), end: round3(w.end + pieceStartSec) }));
      if (words) stats.words.push(...words);
      if (pcm.length > 0) {
        stats.samples += pcm.length;
        if (stats.firstChunkMs === null) stats.firstChunkMs = performance.now() - started;
        yield { pcm, sampleRateHz: OUTPUT_SAMPLE_RATE_HZ, ...(words && words.length > 0 ? { words } : {}) };
      } else if (words && words.length > 0) {
        yield { pcm, sampleRateHz: OUTPUT_SAMPLE_RATE_HZ, words };
      }
    }
    // Each piece ends with the resampler's tail so pieces join without a gap or overlap.
    if (resampler) {
      const tail = resampler.flush();
      resampler = null;
      if (tail.length > 0) {
        stats.samples += tail.length;
        yield { pcm: tail, sampleRateHz: OUTPUT_SAMPLE_RATE_HZ };
      }
    }
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Only the PCM of a chunk stream, for encoders. */
export async function* pcmOf(chunks: AsyncIterable<AudioChunk>): AsyncGenerator<Int16Array> {
  for await (const c of chunks) if (c.pcm.length > 0) yield c.pcm;
}
