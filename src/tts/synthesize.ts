/**
 * The streaming synthesis pipeline: prepared text pieces -> engine -> 24 kHz PCM chunks with
 * word timings on the stream's clock. The pieces go through the look-ahead queue
 * (`look-ahead.ts`): the next piece is requested while the current one plays out, so long texts
 * stream without gaps, and only the first piece jumps the queue.
 */
import { concatPcm, OUTPUT_SAMPLE_RATE_HZ, type AudioChunk, type WordTiming } from '../audio/pcm.js';
import { StreamResampler } from '../audio/resample.js';
import type { SynthesisRequest, TtsEngine, Voice } from '../engines/tts/types.js';
import { LookAheadQueue } from './look-ahead.js';
import { joinKind, LeadingSilence, TrailingSilence } from './phrase-join.js';

export interface SpeechPlan {
  engine: TtsEngine;
  voice: Voice;
  language: string;
  speed: number;
  /** Text pieces, the first one short. */
  pieces: string[];
  /** For each piece: it ends inside its sentence, so the next one joins it without the engine's pauses. */
  midSentence?: boolean[];
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
      // The listener runs dry once what came before this piece has played out.
      deadlineMs: stats.firstChunkMs === null ? performance.now() : started + stats.firstChunkMs + (stats.samples / OUTPUT_SAMPLE_RATE_HZ) * 1000,
      sampleRateHz: OUTPUT_SAMPLE_RATE_HZ,
    };
    return plan.engine.synthesize(req, signal)[Symbol.asyncIterator]();
  });
  for (const piece of plan.pieces) pieces.pushSentence(piece);
  pieces.end();
  let resampler: StreamResampler | null = null;
  let resamplerFrom = 0;
  // Pieces cut inside a sentence join the next piece without the engines' utterance silences.
  const joins = plan.pieces.map((text, i) => (i < plan.pieces.length - 1 && plan.midSentence?.[i] ? joinKind(text) : null));
  let index = -1;
  for await (const piece of pieces.entries(signal)) {
    if (piece.type !== 'sentence') continue;
    index++;
    const pieceStartSec = stats.samples / OUTPUT_SAMPLE_RATE_HZ;
    const joinBefore = index > 0 ? joins[index - 1] : null;
    const joinAfterThis = joins[index];
    const leading = joinBefore ? new LeadingSilence(joinBefore) : null;
    const trailing = joinAfterThis ? new TrailingSilence(joinAfterThis) : null;
    const shape = (pcm: Int16Array): Int16Array => {
      const led = leading ? leading.push(pcm) : pcm;
      return trailing ? trailing.push(led) : led;
    };
    for await (const chunk of piece.chunks) {
      if (resampler === null || resamplerFrom !== chunk.sampleRateHz) {
        resampler = chunk.sampleRateHz === OUTPUT_SAMPLE_RATE_HZ ? null : new StreamResampler(chunk.sampleRateHz, OUTPUT_SAMPLE_RATE_HZ);
        resamplerFrom = chunk.sampleRateHz;
      }
      const pcm = shape(resampler ? resampler.process(chunk.pcm) : chunk.pcm);
      // Lead-in dropped before a word moves it earlier by as much.
      const shiftSec = (leading?.dropped ?? 0) / OUTPUT_SAMPLE_RATE_HZ;
      const words = chunk.words?.map((w) => ({
        word: w.word,
        start: round3(Math.max(0, w.start - shiftSec) + pieceStartSec),
        end: round3(Math.max(0, w.end - shiftSec) + pieceStartSec),
      }));
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
    let tail = resampler ? shape(resampler.flush()) : new Int16Array(0);
    resampler = null;
    if (leading || trailing) {
      // What the join stages still hold: a lead-in that never sounded, then the pause's worth of trailing silence.
      const lead = leading ? leading.end() : new Int16Array(0);
      tail = concatPcm([tail, trailing ? trailing.push(lead) : lead, trailing ? trailing.end() : new Int16Array(0)]);
    }
    if (tail.length > 0) {
      stats.samples += tail.length;
      yield { pcm: tail, sampleRateHz: OUTPUT_SAMPLE_RATE_HZ };
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
