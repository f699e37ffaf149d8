/**
 * SpeexDSP's resampler (xiph.org, compiled to WebAssembly with SIMD by the Echogarden project),
 * loaded once per thread: this module's top-level await instantiates it when the main thread or a
 * worker first imports the audio code, so every later call is synchronous.
 *
 * Measured beside the hand-written JS filter it replaced (bench/resample.ts, 12 s of input on a
 * busy 2-core machine): 16 -> 24 kHz and 24 -> 16 kHz ~5 ms instead of ~28 ms, because ratios
 * with a small denominator run SpeexDSP's precomputed polyphase bank with SIMD; 22.05 -> 24 kHz
 * (147/160) interpolates the filter per sample, ~21 ms. libsamplerate's WebAssembly build was
 * slower (sinc-fastest ~31 ms) and creates each converter asynchronously, which a synchronous
 * stream API cannot wait for.
 */
import createSpeexModule from '@echogarden/speex-resampler-wasm/simd';
import { concatPcm } from './pcm.js';

const speex = await createSpeexModule();

/**
 * SpeexDSP quality 0-10. 7 (128 taps, Kaiser-10 window, cutoff 0.95) is the lowest level flat to
 * within 0.1 dB up to 0.9 of the lower Nyquist frequency both ways between 16 and 24 kHz (6 droops
 * 0.2 dB when downsampling); its stopband is ~100 dB down, below s16 quantisation.
 */
const QUALITY = 7;

/**
 * Scratch buffers in the module's memory, shared by every stream on this thread (calls are
 * synchronous). Input goes in blocks; when the output fills first, SpeexDSP takes only part of a
 * block and the rest goes in the next call, so any ratio works with these fixed sizes.
 */
const BLOCK_SAMPLES = 32_768;
const OUTPUT_SAMPLES = 65_536;

const RESAMPLER_ERR_SUCCESS = 0;

/** Two u32 in/out lengths for process_int, then the init error code. */
const lengths = speex._malloc(12);
const inLength = lengths >> 2;
const outLength = inLength + 1;
const initError = lengths + 8;

const scratchIn = speex._malloc(2 * BLOCK_SAMPLES);
const scratchOut = speex._malloc(2 * OUTPUT_SAMPLES);

/** Native states not destroyed explicitly are freed when their owner is collected. */
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
    states.register(this, this.state, this);
    this.inputLatency = speex._speex_resampler_get_input_latency(this.state);
    // Drops the filter's leading delay, so outputs line up with their inputs.
    speex._speex_resampler_skip_zeros(this.state);
  }

  /** Frees the native state now; the object must not be used afterwards. */
  destroy(): void {
    states.unregister(this);
    speex._speex_resampler_destroy(this.state);
  }

  /** Feeds `pcm`; returns every output sample it completes. Clips at full scale. */
  process(pcm: Int16Array): Int16Array {
    const parts: Int16Array[] = [];
    for (let offset = 0; offset < pcm.length; ) {
      const block = pcm.subarray(offset, offset + BLOCK_SAMPLES);
      speex.HEAP16.set(block, scratchIn >> 1);
      const u32 = speex.HEAPU32;
      u32[inLength] = block.length;
      u32[outLength] = OUTPUT_SAMPLES;
      const code = speex._speex_resampler_process_int(this.state, 0, scratchIn, lengths, scratchOut, lengths + 4);
      if (code !== RESAMPLER_ERR_SUCCESS) throw new Error(`speex resampler failed (error ${code})`);
      const consumed = speex.HEAPU32[inLength];
      const produced = speex.HEAPU32[outLength];
      if (consumed === 0 && produced === 0) throw new Error('speex resampler made no progress');
      parts.push(speex.HEAP16.slice(scratchOut >> 1, (scratchOut >> 1) + produced));
      offset += consumed;
    }
    return parts.length === 1 ? parts[0] : concatPcm(parts);
  }
}
