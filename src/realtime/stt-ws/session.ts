/**
 * One `/v1/stt/ws` session: live captions for clients that do not speak the Realtime protocol.
 * Binary frames of audio go through the same input pipeline as a Realtime transcription session
 * (`InputAudio`: decode, 16 kHz, Silero VAD turns, live recognition while the user speaks), and
 * its turns come out as plain JSON: `speech.started`, `partial` (the running hypothesis, whole,
 * with word times on the stream's clock) and `final` per utterance.
 *
 * Bounds: input waits on the same bounded `StepQueue` as Realtime (an append past it is dropped
 * and the client told); partials are dropped while the socket is congested (a newer one
 * supersedes them), finals never are. A disconnect ends the open turn's feed, which frees its
 * decoder.
 */
import { StreamResampler } from '../../audio/resample.js';
import type { SileroVad } from '../../engines/vad/silero-vad.js';
import { ApiError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { LivePartial } from '../../stt/live-partial.js';
import type { Transcript } from '../../stt/transcript.js';
import { SESSION_RATE_HZ } from '../openai/audio-io.js';
import { InputAudio, type CommittedTurn } from '../openai/input-audio.js';
import { newId } from '../openai/protocol.js';
import type { ServerEvent } from '../openai/server-events.js';
import { defaultSessionConfig, type AudioFormatType, type SessionConfig } from '../openai/session-config.js';
import { StepQueue } from '../openai/step-queue.js';
import type { LiveTransport } from '../transport.js';
import { SessionSpeakers } from './speakers.js';
import { errorEvent, parseClientMessage, type SttWsServerEvent, type SttWsSessionInfo, type SttWsSettings } from './protocol.js';

export interface SttWsDeps {
  /** Recognizes one utterance as it arrives, with timed words, calling `onPartial` as its hypothesis changes. */
  transcribe(audio: AsyncIterable<Int16Array>, language: string, signal: AbortSignal, onPartial: (partial: LivePartial) => void): Promise<Transcript>;
  vad(): Promise<SileroVad>;
  logger: Logger;
  /** Told the length of every piece of audio received (live sessions are billed by it). */
  heardSeconds?(seconds: number): void;
  /** An utterance this long is ended though the speaker has not paused. */
  maxTurnMs: number;
  /** Audio bytes that may wait to be processed; beyond it frames are dropped. */
  maxPendingInputBytes: number;
}

/**
 * Largest frame a session takes: 128 KiB is 1.3 s of 48 kHz pcm16, far above the 20-100 ms
 * frames live clients send. A larger one is answered with an error event and close 1009.
 */
export const STT_WS_MAX_FRAME_BYTES = 128 * 1024;
/** RFC 6455: message too big. */
const MESSAGE_TOO_BIG = 1009;

const FORMATS: Record<SttWsSettings['format'], AudioFormatType> = { pcm16: 'audio/pcm', g711_ulaw: 'audio/pcmu', g711_alaw: 'audio/pcma', opus: 'audio/opus' };
const round3 = (sec: number): number => Math.round(sec * 1000) / 1000;

export class SttWsSession {
  private readonly config: SessionConfig;
  private readonly input: InputAudio;
  private readonly steps: StepQueue;
  /** pcm16 at a rate other than the pipeline's 24 kHz: converted first. */
  private readonly toSessionRate: StreamResampler | null;
  private carry: number | null = null;
  /** Where each open or committed utterance starts (stream seconds). */
  private readonly starts = new Map<string, number>();
  /** Finals go out in utterance order, each once its transcript is in. */
  private finals: Promise<void> = Promise.resolve();
  private heardSec = 0;
  private utterances = 0;
  private congested = false;
  private closing = false;
  private readonly info: SttWsSessionInfo;
  private readonly speakers: SessionSpeakers | null;

  constructor(
    private readonly transport: LiveTransport,
    private readonly deps: SttWsDeps,
    private readonly settings: SttWsSettings,
  ) {
    const id = newId('sess');
    const base = defaultSessionConfig(id, settings.model ?? 'default', '');
    this.config = {
      ...base,
      type: 'transcription',
      inputFormat: FORMATS[settings.format],
      transcription: { model: settings.model ?? 'default', language: settings.language },
      turnDetection: { ...base.turnDetection!, silenceDurationMs: settings.silence_duration_ms, createResponse: false, interruptResponse: false },
    };
    this.info = { id, model: settings.model ?? 'default', language: settings.language, format: settings.format, sample_rate: settings.format === 'pcm16' ? settings.sample_rate : 0, silence_duration_ms: settings.silence_duration_ms, partials: settings.partials, speakers: settings.speakers };
    this.toSessionRate = settings.format === 'pcm16' && settings.sample_rate !== SESSION_RATE_HZ ? new StreamResampler(settings.sample_rate, SESSION_RATE_HZ) : null;
    this.speakers = settings.speakers ? new SessionSpeakers() : null;
    this.steps = new StepQueue(deps.maxPendingInputBytes, (err) => this.fail(err));
    this.input = new InputAudio(
      {
        config: () => this.config,
        transcribe: (audio, turn, signal) => deps.transcribe(audio, turn.language, signal, turn.onPartial ?? (() => {})),
        vad: deps.vad,
        heard: (seconds) => {
          this.heardSec += seconds;
          deps.heardSeconds?.(seconds);
        },
        emit: (event) => this.onInputEvent(event),
        speechStarted: () => {},
        committed: (turn) => this.onCommitted(turn),
        partial: (itemId, partial) => this.onPartial(itemId, partial),
      },
      deps.maxTurnMs,
    );
    transport.signal.addEventListener(
      'abort',
      () => {
        this.input.dispose();
        // Frees the resampler's WebAssembly state now rather than at collection.
        this.toSessionRate?.flush();
      },
      { once: true },
    );
  }

  /** Whether the server still owes the client a final (the idle watch waits for it). */
  get busy(): boolean {
    return this.steps.waiting > 0 || this.starts.size > 0;
  }

  start(): void {
    this.send({ type: 'session.created', session: this.info });
    this.steps.offer(() => this.input.configure());
  }

  /** A binary frame: audio in the session's format. */
  handleBinary(data: Uint8Array): void {
    if (this.closing) return;
    if (data.length > STT_WS_MAX_FRAME_BYTES) {
      this.closing = true;
      this.fail(new ApiError('frame_too_large', `A frame of ${data.length} bytes is over the limit of ${STT_WS_MAX_FRAME_BYTES}; send audio in frames of 20-100 ms.`));
      this.transport.close(MESSAGE_TOO_BIG, 'frame too large');
      return;
    }
    const bytes = this.toSessionRate ? this.resampled(data) : data;
    // The overflow policy: this frame is dropped and the client told; the session goes on.
    if (!this.steps.offer(() => this.input.append(bytes, performance.now()), { bytes: data.length })) {
      this.fail(new ApiError('input_audio_backlog_full', 'Audio is arriving faster than it can be processed; this frame was dropped. Send audio at real-time pace.'));
    }
  }

  /** A text frame: a control message. */
  handleText(text: string): void {
    try {
      const message = parseClientMessage(text);
      switch (message.type) {
        case 'flush':
          this.steps.offer(() => this.flush());
          return;
        case 'close':
          if (this.closing) return;
          this.closing = true;
          this.steps.offer(async () => {
            this.flush();
            await this.finals;
            this.send({ type: 'done', audio_duration_sec: round3(this.heardSec), utterances: this.utterances });
            this.transport.close(1000, 'done');
          });
          return;
        default: {
          const never: never = message;
          throw new Error(`unhandled stt ws message ${JSON.stringify(never)}`);
        }
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private flush(): void {
    if (this.input.turnOpen) this.input.commit();
  }

  /** pcm16 bytes at the client's rate to 24 kHz bytes; an odd byte waits for the next frame. */
  private resampled(data: Uint8Array): Uint8Array {
    let bytes = data;
    if (this.carry !== null) {
      bytes = new Uint8Array(data.length + 1);
      bytes[0] = this.carry;
      bytes.set(data, 1);
      this.carry = null;
    }
    const even = bytes.length & ~1;
    if (even < bytes.length) this.carry = bytes[even]!;
    const copy = bytes.slice(0, even);
    const pcm = this.toSessionRate!.process(new Int16Array(copy.buffer, 0, even / 2));
    return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  }

  private onInputEvent(event: ServerEvent): void {
    if (event.type !== 'input_audio_buffer.speech_started') return;
    const start = event.audio_start_ms / 1000;
    this.starts.set(event.item_id, start);
    this.send({ type: 'speech.started', utterance_id: event.item_id, start: round3(start) });
  }

  private onPartial(itemId: string, partial: LivePartial): void {
    const start = this.starts.get(itemId);
    if (!this.settings.partials || start === undefined || this.congested) return;
    const words = partial.words.map((w) => ({ word: w.word, start: round3(start + w.start), end: round3(start + w.end) }));
    this.send({ type: 'partial', utterance_id: itemId, text: partial.text, words, stable_words: partial.stableWords });
  }

  private onCommitted(turn: CommittedTurn): void {
    const start = this.starts.get(turn.itemId) ?? 0;
    const transcript = turn.transcript;
    this.finals = this.finals.then(async () => {
      try {
        const t = await transcript;
        const words = t.segments.flatMap((s) => s.words ?? []).map((w) => ({ word: w.word, start: round3(start + w.start), end: round3(start + w.end) }));
        this.utterances++;
        // Whisper turns have no speaker vector: no label rather than a guess.
        const speaker = this.speakers && t.speakerVector !== undefined ? { speaker: this.speakers.label(t.speakerVector) } : {};
        this.send({ type: 'final', utterance_id: turn.itemId, text: t.text.trim(), start: round3(start), end: round3(start + turn.seconds()), words, ...speaker });
      } catch (err) {
        if (!this.transport.signal.aborted) this.fail(err instanceof ApiError ? err : new ApiError('transcription_failed', 'Transcription failed.', null, { cause: err }));
      } finally {
        this.starts.delete(turn.itemId);
      }
    });
  }

  private fail(err: unknown): void {
    const apiError = err instanceof ApiError ? err : new ApiError('internal_error', 'The server failed to handle this message.', null, { cause: err });
    if (apiError.status >= 500) this.deps.logger.error({ err }, 'stt ws session failed');
    this.send(errorEvent(apiError));
  }

  private send(event: SttWsServerEvent): void {
    if (this.transport.signal.aborted) return;
    if (this.transport.send(JSON.stringify(event))) return;
    // Back-pressure: partials wait for the socket to drain (finals and the rest always go out).
    this.congested = true;
    void this.transport.drained().then(() => (this.congested = false));
  }
}
