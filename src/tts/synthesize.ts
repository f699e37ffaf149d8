/**
 * The streaming synthesis pipeline: prepared text pieces -> engine -> 24 kHz PCM chunks with
 * word timings on the stream's clock. The next piece is requested while the current one
 * plays out, so long texts stream without gaps, and only the first piece jumps the queue.
 */
import { OUTPUT_SAMPLE_RATE_HZ, type AudioChunk, type WordTiming } from '../audio/pcm.js';
import { StreamResampler } from '../audio/resample.js';
import type { SynthesisRequest, TtsEngine, Voice } from '../engines/tts/types.js';

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
  const request = (i: number): AsyncIterator<AudioChunk> => {
    const req: SynthesisRequest = {
      text: plan.pieces[i]!,
      voice: plan.voice.id,
      language: plan.language,
      speed: plan.speed,
      priority: i === 0 && !plan.continuation ? 'first' : 'rest',
      sampleRateHz: OUTPUT_SAMPLE_RATE_HZ,
    };
    return plan.engine.synthesize(req, signal)[Symbol.asyncIterator]();
  };
  let resampler: StreamResampler | null = null;
  let resamplerFrom = 0;
  let next: { it: AsyncIterator<AudioChunk>; first: Promise<IteratorResult<AudioChunk>> } | null = null;
  const open: AsyncIterator<AudioChunk>[] = [];
  try {
    for (let i = 0; i < plan.pieces.length; i++) {
      signal.throwIfAborted();
      const current = next ?? (() => {
        const it = request(i);
        open.push(it);
        return { it, first: it.next() };
      })();
      next = null;
      const pieceStartSec = stats.samples / OUTPUT_SAMPLE_RATE_HZ;
      let result = await current.first;
      let prefetched = false;
      while (!result.done) {
        const chunk = result.value;
        if (!prefetched && i + 1 < plan.pieces.length) {
          // Ask for the next piece as soon as this one is producing, not when it ends.
          prefetched = true;
          const it = request(i + 1);
          open.push(it);
          next = { it, first: it.next() };
          next.first.catch(() => {}); // surfaced when awaited
        }
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
        result = await current.it.next();
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
  } finally {
    // Stops a prefetched piece (and any open one) when the consumer stops early.
    await Promise.allSettled(open.map((it) => it.return?.()));
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Only the PCM of a chunk stream, for encoders. */
export async function* pcmOf(chunks: AsyncIterable<AudioChunk>): AsyncGenerator<Int16Array> {
  for await (const c of chunks) if (c.pcm.length > 0) yield c.pcm;
}
