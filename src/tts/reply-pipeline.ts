/**
 * The streaming-reply pipeline: an LLM's token stream -> sentences (`SentenceReleaser`) ->
 * synthesis with look-ahead (`LookAheadQueue`) -> optionally paced output, all stopped by one
 * AbortSignal. Realtime replies and voice-chat replies run through it; `/v1/tts/ws` feeds the
 * same releaser and queue from client messages instead of an LLM.
 *
 * The LLM runs ahead on its own: its sentences wait in the queue until the voice reaches them,
 * and the next sentence synthesizes while the current one is sent, so the first audio leaves as
 * soon as the first sentence is complete.
 */
import { OUTPUT_SAMPLE_RATE_HZ, type AudioChunk } from '../audio/pcm.js';
import { SentenceReleaser } from '../llm/sentence-releaser.js';
import { releaseFor, type SentenceEvent } from '../llm/sentences-from-llm.js';
import type { LlmEvent } from '../llm/types.js';
import { LookAheadQueue } from './look-ahead.js';
import type { Pacer } from './pacer.js';

type Mark = Exclude<SentenceEvent, { type: 'sentence' }>;

/** What the pipeline hands its consumer, in speaking order. */
export type ReplyFrame =
  | { type: 'sentence.started'; text: string }
  /** 24 kHz PCM (and word times relative to the sentence); with a pacer, due to be sent now. */
  | { type: 'audio'; chunk: AudioChunk }
  | { type: 'sentence.done'; text: string; durationMs: number }
  | Mark;

export interface ReplyPipelineOptions {
  /** One sentence's 24 kHz audio; null when it has nothing to speak. */
  synthesize(text: string, continuation: boolean, signal: AbortSignal): AsyncIterable<AudioChunk> | null;
  /** Stops everything: the LLM request, every synthesis, the pacing wait. */
  signal: AbortSignal;
  /** Live output: audio is handed out no more than the pacer's lead ahead of real time. */
  pacer?: Pacer;
  /** Resolves when the client can take more (the transport's back-pressure). */
  drained?: () => Promise<void>;
  /** Called when the LLM has completed a sentence (before it is spoken), for stage timings. */
  onSentenceReady?: () => void;
}

/**
 * Speaks the LLM reply that `reply(signal)` starts, as frames; rejects with the LLM's failure
 * after what it said before it. A consumer that stops early stops the LLM and every synthesis.
 */
export async function* speakReply(reply: (signal: AbortSignal) => AsyncIterable<LlmEvent>, opts: ReplyPipelineOptions): AsyncGenerator<ReplyFrame> {
  const stop = new AbortController();
  const signal = AbortSignal.any([opts.signal, stop.signal]);
  const events = reply(signal);
  const queue = new LookAheadQueue<Mark>((text, continuation) => opts.synthesize(text, continuation, signal)?.[Symbol.asyncIterator]() ?? null);
  const releaser = new SentenceReleaser();
  const pump = (async () => {
    try {
      for await (const ev of events) {
        for (const out of releaseFor(releaser, ev)) {
          if (out.type === 'sentence') {
            opts.onSentenceReady?.();
            queue.pushSentence(out.text);
          } else queue.pushMark(out);
        }
      }
      for (const text of releaser.flush()) queue.pushSentence(text);
      queue.end();
    } catch (err) {
      queue.end(err);
    }
  })();
  try {
    for await (const entry of queue.entries(signal)) {
      if (entry.type === 'mark') {
        yield entry.mark;
        continue;
      }
      yield { type: 'sentence.started', text: entry.text };
      let samples = 0;
      for await (const chunk of entry.chunks) {
        if (chunk.pcm.length > 0) {
          await opts.drained?.();
          await opts.pacer?.wait(signal);
        }
        signal.throwIfAborted();
        yield { type: 'audio', chunk };
        samples += chunk.pcm.length;
        opts.pacer?.sent((chunk.pcm.length * 1000) / OUTPUT_SAMPLE_RATE_HZ);
      }
      signal.throwIfAborted();
      yield { type: 'sentence.done', text: entry.text, durationMs: (samples * 1000) / OUTPUT_SAMPLE_RATE_HZ };
    }
  } finally {
    // Stops the LLM if the consumer stopped early; waiting for it means nothing outlives the reply.
    stop.abort(new Error('reply consumer stopped'));
    await pump;
  }
}
