/**
 * Entry point of a live recognition thread (started by live-stt-pool.ts, never imported for its
 * code elsewhere). One thread decodes many live turns at once: each turn holds its own
 * PocketSphinx decoder, whose search state lives from the turn's first slice to its end, and the
 * thread's event loop interleaves the turns slice by slice, so a turn holds no thread between
 * slices. A slice is a few hundred milliseconds of audio at most (about 30 ms of CPU).
 *
 * Priority: unlike the pool workers (nice 10), these threads keep the process's priority, so a
 * live slice wins the CPU over a file transcription running at the same time.
 */
import { parentPort } from 'node:worker_threads';

import { PocketSphinxDecoder } from '../engines/stt/pocketsphinx/decoder.js';
import { ApiError } from '../errors.js';
import type { LivePartial } from '../stt/live-partial.js';
import { transcribePcm } from '../stt/transcribe-pcm.js';
import type { LiveFromWorker, LiveToWorker } from './live-stt-messages.js';
import { pocketsphinxLanguage } from './pocketsphinx-language.js';
import type { TaskError } from './stt-task.js';

/**
 * Loaded decoders a thread keeps for its next turns. Loading one takes ~0.3 s of this thread
 * (every turn on it waits meanwhile), so the decoders of a thread's busiest moment are kept, up
 * to this many (~90 MB each); beyond it a finished turn's decoder is freed.
 */
const MAX_IDLE_DECODERS = 8;

/** Raised into a turn's recognition when the turn is aborted. */
class TurnAborted extends Error {
  constructor() {
    super('live turn aborted');
  }
}

/** One open turn: its decoder and the slices not yet taken by recognition. */
interface OpenTurn {
  decoder: PocketSphinxDecoder;
  inbox: Array<Extract<LiveToWorker, { type: 'slice' | 'end' | 'abort' }>>;
  wake: (() => void) | null;
}

/**
 * Loaded decoders a thread keeps ready beyond its open turns. Loading is the one long step here
 * (~0.3 s, longer on a busy machine, during which every turn on the thread waits), so once a
 * thread has had a turn it is done ahead, after a turn takes the last spare, rather than when a
 * turn opens. None at start: a server without live sessions holds no decoder.
 */
const SPARE_DECODERS = 1;

const port = parentPort;
if (port === null) throw new Error('live-stt-worker runs as a worker thread');
const turns = new Map<number, OpenTurn>();
const idle: PocketSphinxDecoder[] = [];

const post = (message: LiveFromWorker): void => port.postMessage(message);

port.on('message', (message: LiveToWorker) => {
  switch (message.type) {
    case 'open':
      open(message.turn, message);
      return;
    case 'slice':
    case 'end':
      deliver(message.turn, message);
      return;
    case 'abort': {
      const turn = turns.get(message.turn);
      if (turn === undefined) return;
      // Freed now: the decoder is mid-utterance, and the turn's recognition stops at its next await.
      turns.delete(message.turn);
      turn.decoder.free();
      deliver(message.turn, message, turn);
      return;
    }
    case 'stats':
      post({ type: 'stats', active: turns.size, idle: idle.length });
      return;
    default: {
      const never: never = message;
      throw new Error(`unexpected live message ${JSON.stringify(never)}`);
    }
  }
});

let loadingSpare = false;

/** Tops the spares up once the messages waiting now have been handled. */
function keepSpares(): void {
  if (loadingSpare || idle.length >= SPARE_DECODERS) return;
  loadingSpare = true;
  setImmediate(() => {
    loadingSpare = false;
    try {
      while (idle.length < SPARE_DECODERS) idle.push(loadDecoder());
    } catch {
      // Not loadable: the next turn's own load reports why.
    }
  });
}

function deliver(id: number, message: OpenTurn['inbox'][number], turn = turns.get(id)): void {
  if (turn === undefined) return;
  turn.inbox.push(message);
  turn.wake?.();
  turn.wake = null;
}

function open(id: number, { language, wordTimestamps, speakerVector, partials }: Extract<LiveToWorker, { type: 'open' }>): void {
  let decoder: PocketSphinxDecoder;
  try {
    pocketsphinxLanguage(language);
    decoder = idle.pop() ?? loadDecoder();
    keepSpares();
  } catch (error) {
    post({ type: 'failed', turn: id, error: toTaskError(error) });
    return;
  }
  const turn: OpenTurn = { decoder, inbox: [], wake: null };
  turns.set(id, turn);
  const recognizer = { language: 'en', openStream: () => decoder.openLiveStream() };
  const onPartial = partials ? (partial: LivePartial): void => post({ type: 'partial', turn: id, partial }) : undefined;
  transcribePcm(slices(id, turn), recognizer, { wordTimestamps, diarize: false, onPartial, speakerVector }).then(
    (transcript) => {
      turns.delete(id);
      if (idle.length < MAX_IDLE_DECODERS) idle.push(decoder);
      else decoder.free();
      post({ type: 'done', turn: id, transcript });
    },
    (error: unknown) => {
      if (error instanceof TurnAborted) return;
      // A decoder that failed mid-turn is not trusted with another one.
      if (turns.delete(id)) decoder.free();
      post({ type: 'failed', turn: id, error: toTaskError(error) });
    },
  );
}

function loadDecoder(): PocketSphinxDecoder {
  try {
    return new PocketSphinxDecoder();
  } catch (error) {
    throw new ApiError('engine_not_available', 'Speech recognition is not available on this server.', null, { cause: error });
  }
}

/** A turn's slices as they arrive; each one taken by recognition is answered `ready`. */
async function* slices(id: number, turn: OpenTurn): AsyncGenerator<Int16Array, void, undefined> {
  for (;;) {
    while (turn.inbox.length === 0) await new Promise<void>((resolve) => (turn.wake = resolve));
    const message = turn.inbox.shift()!;
    switch (message.type) {
      case 'slice':
        yield message.pcm;
        post({ type: 'ready', turn: id });
        break;
      case 'end':
        return;
      case 'abort':
        throw new TurnAborted();
      default: {
        const never: never = message;
        throw new Error(`unexpected live message ${JSON.stringify(never)}`);
      }
    }
  }
}

/** An error as data (structured clone keeps no class); see stt-task.ts `TaskError`. */
function toTaskError(error: unknown): TaskError {
  if (error instanceof ApiError) {
    const taskError: TaskError = { code: error.code, message: error.message, param: error.param };
    if (error.cause !== undefined) taskError.detail = String(error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : error.cause);
    return taskError;
  }
  return { code: 'internal_error', message: 'Internal server error', param: null, detail: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
