/**
 * Entry point of a TTS worker thread (started only by `tts-pool.ts`).
 *
 * Loads every built-in engine once, warms each up so that no request pays for wasm start-up or
 * cold JIT, reports what the engines offer, then runs one task at a time, posting each chunk
 * (its buffer transferred) as the engine makes it. Piper voices and the Kokoro model are loaded
 * lazily, on first use; a voice or model whose files fail to load is reported back, not fatal.
 * Other engine errors are not caught: the worker dies, its one task fails, and the pool starts a
 * fresh worker, since a wasm engine that threw may be left in a broken state.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { AudioChunk } from '../audio/pcm.js';
import { StreamResampler } from '../audio/resample.js';
import { SessionCache } from '../engines/onnx/session-cache.js';
import { EspeakCore } from '../engines/tts/espeak/espeak-core.js';
import { phonemizeSentences } from '../engines/tts/espeak/phonemize.js';
import { FliteCore } from '../engines/tts/flite/flite-core.js';
import { tieSeparatedIpa } from '../engines/tts/kokoro/espeak-ties.js';
import { KokoroCore } from '../engines/tts/kokoro/kokoro-core.js';
import { PicoCore } from '../engines/tts/pico/pico-core.js';
import { PiperCore } from '../engines/tts/piper/piper-core.js';
import { VoiceLoadError } from '../engines/tts/piper/voice-load-error.js';
import type { EngineInventory, PoolToWorker, TtsJob, TtsWorkerData, WorkerToPool } from './tts-messages.js';

if (!parentPort) throw new Error('tts-worker must run in a worker thread');

/**
 * Linux nice is per thread: this lowers only this worker, so when the cores are saturated
 * the main thread (sockets, streaming, encoders' pipes) still runs at once. Measured on 2
 * cores with 50 concurrent streams: without it the event loop stalled for 60–130 ms.
 */
const WORKER_NICE = 10;
try {
  setPriority(WORKER_NICE);
} catch {
  // Not permitted (some containers): run at normal priority.
}
const port: MessagePort = parentPort;
const data = workerData as TtsWorkerData;
const cancelFlag = new Int32Array(data.cancelFlag);

/**
 * Start-up synthesis: loads what engines read lazily on first use and lets V8 optimize their
 * hot code, so that no request pays for either. eSpeak is wasm2js (plain JavaScript): its first
 * runs are 20-40x slower than after ~16 varied sentences (measured: 226 ms -> 5 ms), so it gets
 * the most rounds; flite and pico (real wasm) need one.
 */
const WARM_UP_TEXTS = [
  'Ready: 1, 2, 3. The quick brown fox jumps over the lazy dog?',
  'Short and sweet.',
  'One second of speech, more or less.',
  'How vexingly quick daft zebras jump!',
];
const WARM_UP_ROUNDS = { espeak: 4, flite: 1, pico: 1 } as const;

// Built from what the pool prepared once for every worker (shared memory, compiled modules).
const shared = data.engineData;
const espeak = await EspeakCore.load(shared.espeakData);
const flite = await FliteCore.load(data.scratchDir, data.devNullFd, shared.flite);
const pico = data.picoLingwareDir === null ? undefined : await PicoCore.load(data.picoLingwareDir, shared.picoModule ?? undefined);
// Piper voices load lazily, on this worker's first sentence with each.
const piper = new PiperCore((text, identifier) => phonemizeSentences(text, (clause) => espeak.ipa(clause, identifier)), data.onnx);
// Kokoro's rules read tied IPA in eSpeak's own code points (no NFD), see kokoro/phonemes.ts.
const kokoro = new KokoroCore(
  (text, identifier) => phonemizeSentences(text, (clause) => tieSeparatedIpa(espeak.ipa(clause, identifier)), false),
  data.onnx,
  new SessionCache(data.sessionBudgetBytes),
);

const inventory: EngineInventory = {
  espeakVoices: espeak.listVoices(),
  fliteVoices: flite.voices(),
  picoLanguages: pico?.languages() ?? [],
};

const keepGoing = (): boolean => true;
const warmUpRounds = data.warmUp ? WARM_UP_ROUNDS : { espeak: 0, flite: 0, pico: 0 };
for (let i = 0; i < warmUpRounds.espeak; i++) {
  for (const text of WARM_UP_TEXTS) espeak.synthesize(text, 'gmw/en-US', 1, keepGoing);
}
const warmFlite = inventory.fliteVoices[0];
for (let i = 0; warmFlite !== undefined && i < warmUpRounds.flite; i++) flite.synthesize(WARM_UP_TEXTS[0], warmFlite, 1, keepGoing);
for (let i = 0; pico && i < warmUpRounds.pico; i++) {
  // Every language once: the first engine for a language costs ~10 ms to create.
  for (const language of inventory.picoLanguages) pico.synthesize(WARM_UP_TEXTS[0], language, 1, keepGoing);
}

function post(message: WorkerToPool, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

/** Slice length for resampled output: 200 ms resamples in ~0.7 ms and is small enough to start on. */
const RESAMPLE_SLICE_MS = 200;

function postChunk(taskId: number, pcm: Int16Array, sampleRateHz: number, words?: AudioChunk['words']): void {
  const message: WorkerToPool = { type: 'chunk', taskId, pcm, sampleRateHz };
  if (words) message.words = words;
  post(message, [pcm.buffer as ArrayBuffer]);
}

async function run(taskId: number, job: TtsJob): Promise<void> {
  let cancelled = false;
  const target = job.outputSampleRateHz;
  let resampler: StreamResampler | null = null;
  const sink = (chunk: AudioChunk): boolean => {
    if (closing || Atomics.load(cancelFlag, 0) === taskId) {
      cancelled = true;
      return false;
    }
    if (target === undefined || target === chunk.sampleRateHz) {
      postChunk(taskId, chunk.pcm, chunk.sampleRateHz, chunk.words);
      return true;
    }
    resampler ??= new StreamResampler(chunk.sampleRateHz, target);
    // Engines that hand over a whole sentence at once (flite: seconds of audio) are posted in
    // slices, so the first audio leaves after one slice's resampling, not the sentence's.
    const slice = Math.round((chunk.sampleRateHz * RESAMPLE_SLICE_MS) / 1000);
    for (let start = 0; start < chunk.pcm.length; start += slice) {
      const out = resampler.process(chunk.pcm.subarray(start, start + slice));
      postChunk(taskId, out, target, start === 0 ? chunk.words : undefined);
    }
    return true;
  };
  switch (job.engine) {
    case 'espeak':
      espeak.synthesize(job.text, job.voice, job.speed, sink);
      break;
    case 'flite':
      flite.synthesize(job.text, job.voice, job.speed, sink);
      break;
    case 'pico':
      if (!pico) throw new Error('pico lingware is not installed');
      pico.synthesize(job.text, job.voice, job.speed, sink);
      break;
    case 'piper':
    case 'kokoro':
      try {
        neuralJob = job.engine === 'piper' ? piper.synthesize(job.text, job.voice, sink) : kokoro.synthesize(job.text, job.voice, job.priority === 'first', sink);
        await neuralJob;
      } catch (error) {
        // A broken voice or model file is its own fault: report it and keep this worker.
        if (!(error instanceof VoiceLoadError)) throw error;
        post({ type: 'voice-failed', taskId, reason: error.message });
        return;
      }
      break;
    default: {
      const never: never = job;
      throw new Error(`unknown engine ${String((never as TtsJob).engine)}`);
    }
  }
  cancelled ||= Atomics.load(cancelFlag, 0) === taskId;
  const tail = cancelled || resampler === null ? null : (resampler as StreamResampler).flush();
  if (tail && tail.length > 0) postChunk(taskId, tail, target!);
  post({ type: 'done', taskId, cancelled });
}

/**
 * The Piper or Kokoro job running, if any. onnxruntime-node runs an inference synchronously on
 * this thread, and ending the thread inside one aborts the whole process, so closing lets it
 * end (at its next chunk) first.
 */
let neuralJob: Promise<void> | null = null;
let closing = false;

port.on('message', (message: PoolToWorker) => {
  switch (message.type) {
    case 'run':
      // An engine error rejects: unhandled, it ends the worker, as the header says.
      void run(message.taskId, message.job);
      return;
    case 'close':
      closing = true;
      // In a worker thread, process.exit ends this thread only.
      void Promise.allSettled([neuralJob]).then(() => process.exit(0));
      return;
    default: {
      const never: never = message;
      throw new Error(`unexpected pool message ${JSON.stringify(never)}`);
    }
  }
});

post({ type: 'ready', inventory });
