/**
 * Types for `@echogarden/speex-resampler-wasm`, which ships none: the Emscripten factory and the
 * part of SpeexDSP's resampler API (speex_resampler.h) that src/audio/speex.ts calls. Pointers
 * and lengths are byte offsets and counts in the module's own memory.
 */
declare module '@echogarden/speex-resampler-wasm/simd' {
  export interface SpeexModule {
    /** Views of the WebAssembly memory; Emscripten replaces them when the memory grows. */
    HEAP16: Int16Array;
    HEAPU32: Uint32Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    _speex_resampler_init(channels: number, inRateHz: number, outRateHz: number, quality: number, errorPointer: number): number;
    _speex_resampler_destroy(state: number): void;
    /** Returns an error code; reads *inLength/*outLength as capacities and writes back the counts used. */
    _speex_resampler_process_int(state: number, channel: number, input: number, inLengthPointer: number, output: number, outLengthPointer: number): number;
    _speex_resampler_get_input_latency(state: number): number;
    _speex_resampler_skip_zeros(state: number): number;
  }
  const createSpeexModule: () => Promise<SpeexModule>;
  export default createSpeexModule;
}
