/**
 * Types for `@jitsi/rnnoise-wasm`'s synchronous build, which ships none: the Emscripten factory and
 * the part of RNNoise's API (rnnoise.h) that src/audio/enhance/rnnoise.ts calls. Pointers are byte
 * offsets in the module's own memory.
 */
declare module '@jitsi/rnnoise-wasm/dist/rnnoise-sync.js' {
  export interface RnnoiseModule {
    /** A view of the WebAssembly memory; Emscripten replaces it when the memory grows. */
    HEAPF32: Float32Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    _rnnoise_create(model?: number): number;
    _rnnoise_destroy(state: number): void;
    /** Denoises 480 samples (48 kHz, s16 scale) from `input` into `output`; returns the voice probability. */
    _rnnoise_process_frame(state: number, output: number, input: number): number;
  }
  const createRnnoiseModule: () => Promise<RnnoiseModule>;
  export default createRnnoiseModule;
}
