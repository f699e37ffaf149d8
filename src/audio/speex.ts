/**
 * SpeexDSP's resampler (xiph.org, compiled to WebAssembly with SIMD by the Echogarden project),
 * loaded once per thread: this module's top-level await instantiates it when the main thread or a
 * worker first imports the audio code, so every later call is synchronous.
 *
 * SpeexDSP over the hand-written JS filter it replaced and over libsamplerate's WebAssembly build,
 * on 12 s of 16 kHz audio to 24 kHz (`npm run bench`, bench/resample.ts): the JS filter took
 * ~30 ms, libsamplerate's fastest sinc ~31 ms and needs an async create per stream, SpeexDSP at
 * the quality below ~6 ms.
 */
import createSpeexModule from '@echogarden/speex-resampler-wasm/simd';

const speex = await createSpeexModule();

/**
 * SpeexDSP quality 0-10. 7 (128 taps, Kaiser-10 window, cutoff 0.95) is the lowest level flat to
 * within 0.1 dB up to 0.9 of the lower Nyquist frequency both ways between 16 and 24 kHz (6 droops
 * 0.2 dB when downsampling); its stopband is ~100 dB down, below s16 quantisation.
 */
const QUALITY = 7;

/** Input samples handed to SpeexDSP per call, bounding the scratch buffers (96 KiB in). */
const BLOCK_SAMPLES = 48_000;

const RESAMPLER_ERR_SUCCESS = 0;

/** Two u32 in/out lengths for process_int, then the init error code. */
const lengths = speex._malloc(12);
const inLength = lengths >> 2;
const outLength = inLength + 1;
const initError = lengths + 8;

let scratchIn = 0;
let scratchOut = 0;
let scratchOutSamples = 0;

/** Native states are freed when their owner is collected (callers never dispose a resampler). */
const states = new FinalizationRegistry<number>((state) => speex._speex_resampler_destroy(state));

/** One stream's SpeexDSP resampler state, centred: output time 0 is input time 0. */
export class SpeexResampler {
  private readonly state: number;
  /** Input samples that must follow the last one for every output it reaches to be produced. */
  readonly inputLatency: number;

  constructor(fromHz: number, toHz: number) {
    this.state = speex._speex_resampler_init(1, fromHz, toHz, QUALITY, initError);
    const code = speex.HEAPU32[initError >> 2];
    if (this.state === 0 || code !== RESAMPLER_ERR_SUCCESS) throw new RangeError(`speex resampler rejected ${fromHz} -> ${toHz} Hz (error ${code})`);
    states.register(this, this.state);
    this.inputLatency = speex._speex_resampler_get_input_latency(this.state);
    this.restart();
    ensureOutput(Math.ceil((BLOCK_SAMPLES * toHz) / fromHz) + 2);
  }

  /** Forgets all input, as for a new stream. */
  restart(): void {
    speex._speex_resampler_reset_mem(this.state);
    // Drops the filter's leading delay, so outputs line up with their inputs.
    speex._speex_resampler_skip_zeros(this.state);
  }

  /** Feeds `pcm`; returns every output sample it completes. Clips at full scale. */
  process(pcm: Int16Array): Int16Array {
    const parts: Int16Array[] = [];
    for (let offset = 0; offset < pcm.length; ) {
      const block = pcm.subarray(offset, offset + BLOCK_SAMPLES);
      speex.HEAP16.set(block, scratchIn >> 1);
      const u32 = speex.HEAPU32;
      u32[inLength] = block.length;
      u32[outLength] = scratchOutSamples;
      const code = speex._speex_resampler_process_int(this.state, 0, scratchIn, lengths, scratchOut, lengths + 4);
      if (code !== RESAMPLER_ERR_SUCCESS) throw new Error(`speex resampler failed (error ${code})`);
      const consumed = speex.HEAPU32[inLength];
      const produced = speex.HEAPU32[outLength];
      if (consumed === 0 && produced === 0) throw new Error('speex resampler made no progress');
      parts.push(speex.HEAP16.slice(scratchOut >> 1, (scratchOut >> 1) + produced));
      offset += consumed;
    }
    if (parts.length === 1) return parts[0];
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

function ensureOutput(samples: number): void {
  if (scratchIn === 0) scratchIn = speex._malloc(2 * BLOCK_SAMPLES);
  if (samples <= scratchOutSamples) return;
  if (scratchOut !== 0) speex._free(scratchOut);
  scratchOut = speex._malloc(2 * samples);
  scratchOutSamples = samples;
}
