/**
 * One `/v1/tts/ws` session: text arrives in pieces, each sentence is synthesized as soon as its
 * end is seen, and audio goes out in sentence order while the next sentence is synthesized.
 *
 * The streaming-reply pipeline's parts do the work: the client's text goes through the
 * `SentenceReleaser`, and sentences with the flush/close marks between them through one
 * `LookAheadQueue`, spoken by one loop. A cancel is an abort of the current turn's signal plus
 * an emptied queue. Everything hangs on the transport's signal, so a disconnect stops the
 * engines and the encoder with no further work. No pacing: a client of this endpoint may buffer
 * as much as it likes, and back-pressure comes from the transport.
 */
import { OUTPUT_SAMPLE_RATE_HZ, type AudioChunk, type WordTiming } from '../../audio/pcm.js';
import { ApiError } from '../../errors.js';
import { SentenceReleaser } from '../../llm/sentence-releaser.js';
import type { Logger } from '../../logger.js';
import { prepareText } from '../../text/prepare.js';
import { DEFAULT_MAX_CHARS } from '../../text/sentences.js';
import { LookAheadQueue, type Spoken } from '../../tts/look-ahead.js';
import type { TtsService } from '../../tts/service.js';
import { synthesizeSpeech } from '../../tts/synthesize.js';
import type { LiveSessionLimits, SessionWatch } from '../session-limits.js';
import type { LiveTransport } from '../transport.js';
import { createOutput, type SessionOutput } from './output.js';
import { errorEvent, parseClientMessage, type ClientMessage, type ServerEvent } from './protocol.js';
import { resolveSettings, sessionInfo, type SessionSettings } from './settings.js';

export interface TtsWsDeps {
  tts: TtsService;
  live: LiveSessionLimits;
  /** The session's own logger (request id and session id bound). */
  logger: Logger;
  requestId: string;
  /** Told the length of each piece of audio sent (live sessions are billed by it). */
  spokeSeconds?(seconds: number): void;
}

/** Marks between sentences in the queue. */
type Mark = { type: 'flush' } | { type: 'close' };

function seconds(samples: number): number {
  return Math.round((samples / OUTPUT_SAMPLE_RATE_HZ) * 1000) / 1000;
}

export class TtsWsSession {
  private settings: SessionSettings;
  private readonly watch: SessionWatch;
  private readonly releaser = new SentenceReleaser();
  private readonly queue = new LookAheadQueue<Mark>((text, continuation) => this.startSynthesis(text, continuation));
  /** Aborted by `cancel` (then replaced) and by the transport closing. */
  private turn = new AbortController();
  private out: SessionOutput | null = null;
  private closing = false;
  private nextSentenceId = 1;
  private characters = 0;

  constructor(
    private readonly transport: LiveTransport,
    private readonly deps: TtsWsDeps,
    settings: SessionSettings,
  ) {
    this.settings = settings;
    this.watch = deps.live.watch(transport, (reason, message) => {
      this.sendNow(errorEvent(new ApiError(reason === 'idle' ? 'session_idle' : 'session_expired', message)));
    });
    this.sendNow({ type: 'session.created', session: sessionInfo(settings) });
    deps.logger.info({ model: settings.model, voice: settings.voice.id, format: settings.format }, 'tts ws session opened');
    void this.speak();
  }

  /** One text frame from the client. */
  handleText(text: string): void {
    this.watch.touch();
    try {
      this.handle(parseClientMessage(text));
    } catch (err) {
      this.sendNow(errorEvent(this.asApiError(err)));
    }
  }

  handleBinary(): void {
    this.watch.touch();
    this.sendNow(errorEvent(new ApiError('invalid_message', 'Binary messages are not accepted; send JSON text messages')));
  }

  /** The transport has closed. */
  closed(code: number): void {
    this.turn.abort(this.transport.signal.reason);
    void this.queue.clear();
    this.deps.logger.info({ code, characters: this.characters, audioSec: seconds(this.out?.samples ?? 0) }, 'tts ws session closed');
  }

  private handle(msg: ClientMessage): void {
    if (this.closing) throw new ApiError('session_closing', 'The session is closing after a "close" message; open a new one');
    switch (msg.type) {
      case 'session.update': {
        if (this.out) throw new ApiError('session_locked', 'Settings can only change before the first "text", "flush" or "close" message', null);
        const { type: _type, ...changes } = msg;
        this.settings = resolveSettings(this.deps.tts, { ...this.settings.requested, ...changes });
        this.sendNow({ type: 'session.updated', session: sessionInfo(this.settings) });
        return;
      }
      case 'text': {
        const buffered = this.releaser.pendingChars + this.queue.queuedChars + msg.text.length;
        if (buffered > this.deps.tts.limits.maxTextChars) {
          throw new ApiError('text_buffer_full', `This text would leave ${buffered} characters waiting to be spoken; the limit is ${this.deps.tts.limits.maxTextChars}. Wait for audio before sending more.`, 'text');
        }
        this.output();
        for (const sentence of this.releaser.push(msg.text)) this.queue.pushSentence(sentence);
        return;
      }
      case 'flush':
      case 'close':
        this.output();
        if (msg.type === 'close') this.closing = true;
        for (const sentence of this.releaser.flush()) this.queue.pushSentence(sentence);
        this.queue.pushMark({ type: msg.type });
        return;
      case 'cancel':
        this.cancel();
        return;
      default: {
        const unknown: never = msg;
        throw new Error(`unhandled message ${(unknown as { type: string }).type}`);
      }
    }
  }

  /** The output, created by the first text, flush or close: from then on the settings are fixed. */
  private output(): SessionOutput {
    this.out ??= createOutput(this.settings.format, this.transport, (err) => this.fail(err));
    return this.out;
  }

  private cancel(): void {
    this.releaser.clear();
    void this.queue.clear();
    this.turn.abort(new ApiError('cancelled', 'Cancelled by the client'));
    this.turn = new AbortController();
    if (!this.out) {
      this.sendNow({ type: 'cancel.done' });
      return;
    }
    this.out.discard();
    this.out.event({ type: 'cancel.done' });
  }

  /** The one loop that speaks the queue in order. */
  private async speak(): Promise<void> {
    // The text paused: let everything spoken so far reach the client before waiting.
    const idle = async (): Promise<void> => this.out?.settle();
    try {
      for await (const entry of this.queue.entries(this.transport.signal, idle)) {
        if (entry.type === 'sentence') {
          await this.speakSentence(entry);
          continue;
        }
        const mark = entry.mark;
        switch (mark.type) {
          case 'flush':
            await this.out!.settle();
            this.out!.event({ type: 'flush.done' });
            break;
          case 'close':
            await this.out!.end();
            this.sendNow({ type: 'done', audio_duration_sec: seconds(this.out!.samples), characters: this.characters });
            this.transport.close(1000, 'done');
            return;
          default: {
            const unknown: never = mark;
            throw new Error(`unhandled mark ${(unknown as { type: string }).type}`);
          }
        }
      }
    } catch (err) {
      if (!this.transport.closed) this.fail(err);
    }
  }

  private async speakSentence(entry: Extract<Spoken<Mark>, { type: 'sentence' }>): Promise<void> {
    const turn = this.turn.signal;
    const out = this.out!;
    const id = this.nextSentenceId++;
    const start = out.samples;
    const words: WordTiming[] = [];
    out.event({ type: 'sentence.started', sentence_id: id, text: entry.text });
    try {
      for await (const chunk of entry.chunks) {
        const offsetSec = start / OUTPUT_SAMPLE_RATE_HZ;
        for (const w of chunk.words ?? []) words.push({ word: w.word, start: round3(w.start + offsetSec), end: round3(w.end + offsetSec) });
        if (chunk.pcm.length > 0) {
          await out.write(chunk.pcm, id, turn);
          this.deps.spokeSeconds?.(chunk.pcm.length / OUTPUT_SAMPLE_RATE_HZ);
        }
        // A session that is speaking is not idle, though its client may only be listening.
        this.watch.touch();
        if (turn.aborted) return;
      }
    } catch (err) {
      if (turn.aborted) return;
      // One sentence failing (an overloaded engine, say) need not end the session.
      this.sendNow(errorEvent(this.asApiError(err)));
      return;
    }
    this.characters += entry.text.length;
    out.event({ type: 'sentence.done', sentence_id: id, start: seconds(start), end: seconds(out.samples), words });
  }

  /** Null for a sentence with nothing to speak (punctuation alone) or one that cannot be prepared. */
  private startSynthesis(text: string, continuation: boolean): AsyncGenerator<AudioChunk> | null {
    const s = this.settings;
    let pieces: string[];
    let midSentence: boolean[];
    try {
      // Only a stream's first sentence needs a quick first piece; later ones are spoken whole.
      ({ chunks: pieces, midSentence } = prepareText(text, { language: s.language, firstChunkMaxChars: continuation ? DEFAULT_MAX_CHARS : this.deps.tts.limits.firstChunkChars }));
    } catch (err) {
      // Punctuation alone ("...") has nothing to speak: skipped, not an error.
      if (!(err instanceof ApiError && err.code === 'empty_text')) this.sendNow(errorEvent(this.asApiError(err)));
      return null;
    }
    return synthesizeSpeech({ engine: s.engine, voice: s.voice, language: s.language, speed: s.speed, pieces, midSentence, continuation }, this.turn.signal);
  }

  private sendNow(event: ServerEvent): void {
    this.transport.send(JSON.stringify(event));
  }

  private asApiError(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    this.deps.logger.error({ err }, 'tts ws session error');
    return new ApiError('internal_error', `Internal server error (request id ${this.deps.requestId})`);
  }

  /** Ends the session after a failure it cannot go on from. */
  private fail(err: unknown): void {
    if (this.transport.closed) return;
    this.sendNow(errorEvent(this.asApiError(err)));
    this.transport.close(1011, 'internal error');
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
