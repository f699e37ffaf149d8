/**
 * SVOX Pico, driven inside a TTS worker thread (never on the main thread).
 *
 * `@echogarden/svoxpico-wasm` is the engine only: the language data ("lingware", a text
 * analysis file `<lang>_ta.bin` and a signal generation file `<lang>_<speaker>_sg.bin` per
 * language) is not in the npm package. Debian/Ubuntu ship it as `libttspico-data`
 * (/usr/share/pico/lang); the same files are in the picotts sources under `pico/lang/`.
 *
 * Pico allows one engine per system, so every available language's resources are loaded into
 * one system at start-up and the engine is re-created (~1 ms) when the language changes.
 * `pico_getData` returns a few dozen samples per call; they are gathered into ~100 ms chunks.
 * svoxpico.wasm is compiled once per process (`compile`) and the module handed to every worker.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AudioChunk } from '../../../audio/pcm.js';

export const PICO_SAMPLE_RATE_HZ = 16_000;

const PACKAGE = '@echogarden/svoxpico-wasm';
/** Next to the package's entry; its loader would fetch it by this name. */
const WASM_FILE = 'svoxpico.wasm';

/** Called with each chunk; returns false when the request was cancelled and synthesis must stop. */
export type ChunkSink = (chunk: AudioChunk) => boolean;

/** The six languages Pico was released with, and the speaker of each one's signal file. */
export const PICO_LINGWARE: ReadonlyArray<{ language: string; speaker: string }> = [
  { language: 'en-US', speaker: 'lh0' },
  { language: 'en-GB', speaker: 'kh0' },
  { language: 'de-DE', speaker: 'gl0' },
  { language: 'es-ES', speaker: 'zl0' },
  { language: 'fr-FR', speaker: 'nk0' },
  { language: 'it-IT', speaker: 'cm0' },
];

export function picoLingwareFiles(language: string, speaker: string): [string, string] {
  return [`${language}_ta.bin`, `${language}_${speaker}_sg.bin`];
}

/** Languages whose two lingware files are both in `dir`. */
export function picoLanguagesIn(dir: string): string[] {
  return PICO_LINGWARE.filter(({ language, speaker }) =>
    picoLingwareFiles(language, speaker).every((f) => existsSync(join(dir, f))),
  ).map((l) => l.language);
}

const CHUNK_SAMPLES = PICO_SAMPLE_RATE_HZ / 10;
/** Working memory Pico needs beyond the resources themselves (upstream examples use 2.5 MB for one language). */
const ENGINE_MEMORY_BYTES = 2_500_000;
/** `pico_putTextUtf8` takes the size as a 16-bit int. */
const MAX_PUT_BYTES = 32_767;
/** Pico's speed markup accepts 20–500 %. It changes durations only, never pitch. */
const MIN_SPEED_PERCENT = 20;
const MAX_SPEED_PERCENT = 500;

const PICO_OK = 0;
const PICO_STEP_IDLE = 200;
const PICO_STEP_BUSY = 201;
const PICO_RESET_SOFT = 0x10;

/** The slice of the Emscripten module's API that this core uses. */
interface PicoModule {
  HEAPU8: Uint8Array;
  HEAP16: Int16Array;
  HEAP32: Int32Array;
  FS: { writeFile(path: string, data: Uint8Array): void; unlink(path: string): void };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _pico_initialize(memory: number, size: number, outSystem: number): number;
  _pico_getSystemStatusMessage(system: number, code: number, outMessage: number): number;
  _pico_loadResource(system: number, fileName: number, outResource: number): number;
  _pico_getResourceName(system: number, resource: number, outName: number): number;
  _pico_createVoiceDefinition(system: number, voiceName: number): number;
  _pico_addResourceToVoiceDefinition(system: number, voiceName: number, resourceName: number): number;
  _pico_newEngine(system: number, voiceName: number, outEngine: number): number;
  _pico_disposeEngine(system: number, inoutEngine: number): number;
  _pico_putTextUtf8(engine: number, text: number, size: number, outBytesPut: number): number;
  _pico_getData(engine: number, outBuffer: number, size: number, outBytes: number, outType: number): number;
  _pico_resetEngine(engine: number, mode: number): number;
}

export class PicoCore {
  private engineLanguage = '';
  private enginePtr = 0;
  /** Scratch cells and buffers, allocated once. */
  private readonly cells: { engine: number; bytesPut: number; bytesOut: number; dataType: number; out: number; message: number };
  private static readonly OUT_BUFFER_BYTES = 4096;

  private constructor(
    private readonly m: PicoModule,
    private readonly system: number,
    /** Voice definition name pointer per language tag. */
    private readonly voiceNames: Map<string, number>,
  ) {
    this.cells = {
      engine: m._malloc(4),
      bytesPut: m._malloc(4),
      bytesOut: m._malloc(4),
      dataType: m._malloc(4),
      out: m._malloc(PicoCore.OUT_BUFFER_BYTES),
      message: m._malloc(200),
    };
  }

  /** Compiles svoxpico.wasm: once per process, its module posted to every worker (V8 shares the code). */
  static async compile(): Promise<WebAssembly.Module> {
    const entry = createRequire(import.meta.url).resolve(PACKAGE);
    return WebAssembly.compile(readFileSync(join(dirname(entry), WASM_FILE)));
  }

  /**
   * Loads the engine from `module` (from `compile`; compiled here when not given) and every
   * language found in `lingwareDir`; undefined when there is none.
   */
  static async load(lingwareDir: string, module?: WebAssembly.Module): Promise<PicoCore | undefined> {
    const languages = picoLanguagesIn(lingwareDir);
    if (languages.length === 0) return undefined;

    const wasm = module ?? (await PicoCore.compile());
    const entry = createRequire(import.meta.url).resolve(PACKAGE);
    // The package ships no types: import it untyped and describe what we use above.
    const mod = (await import(pathToFileURL(entry).href)) as { default: (moduleArg: object) => Promise<PicoModule> };
    // Emscripten's hook for a module compiled elsewhere: it hands over the imports, we instantiate.
    const instantiateWasm = (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): WebAssembly.Exports => {
      const instance = new WebAssembly.Instance(wasm, imports);
      receive(instance, wasm);
      return instance.exports;
    };
    const m = await mod.default({ instantiateWasm });

    const files = languages.map((language) => {
      const speaker = PICO_LINGWARE.find((l) => l.language === language)?.speaker ?? '';
      return { language, files: picoLingwareFiles(language, speaker) };
    });
    const resourceBytes = files.flatMap((l) => l.files).reduce((n, f) => n + statSync(join(lingwareDir, f)).size, 0);
    const memorySize = resourceBytes + ENGINE_MEMORY_BYTES;
    const memory = m._malloc(memorySize);
    const systemCell = m._malloc(4);
    const message = m._malloc(200);
    const check = (code: number, what: string): void => {
      if (code === PICO_OK) return;
      m._pico_getSystemStatusMessage(m.HEAP32[systemCell >> 2], code, message);
      throw new Error(`Pico ${what} failed (${code}): ${readCString(m, message)}`);
    };
    check(m._pico_initialize(memory, memorySize, systemCell), 'initialize');
    const system = m.HEAP32[systemCell >> 2];

    const voiceNames = new Map<string, number>();
    const resourceCell = m._malloc(4);
    for (const { language, files: pair } of files) {
      const voiceName = allocCString(m, `llais-${language}`);
      check(m._pico_createVoiceDefinition(system, voiceName), `voice definition ${language}`);
      for (const file of pair) {
        // Pico reads resources through the (in-memory) file system; it copies them into its
        // own memory, so the file is removed again right after.
        const virtualPath = `/${file}`;
        m.FS.writeFile(virtualPath, readFileSync(join(lingwareDir, file)));
        const path = allocCString(m, virtualPath);
        check(m._pico_loadResource(system, path, resourceCell), `load ${file}`);
        m._free(path);
        m.FS.unlink(virtualPath);
        const resourceName = m._malloc(32);
        check(m._pico_getResourceName(system, m.HEAP32[resourceCell >> 2], resourceName), `name ${file}`);
        check(m._pico_addResourceToVoiceDefinition(system, voiceName, resourceName), `add ${file}`);
        m._free(resourceName);
      }
      voiceNames.set(language, voiceName);
    }
    m._free(resourceCell);
    m._free(message);
    return new PicoCore(m, system, voiceNames);
  }

  languages(): string[] {
    return [...this.voiceNames.keys()];
  }

  /** Synthesizes `text` in `language` (e.g. `en-US`), calling `sink` with ~100 ms chunks as they are made. */
  synthesize(text: string, language: string, speed: number, sink: ChunkSink): void {
    this.useLanguage(language);
    const m = this.m;
    const c = this.cells;
    const percent = Math.round(Math.min(MAX_SPEED_PERCENT, Math.max(MIN_SPEED_PERCENT, speed * 100)));
    // Angle brackets would be read as Pico markup; they carry nothing speakable here.
    const plain = text.replace(/[<>]/g, ' ');
    const marked = percent === 100 ? plain : `<speed level="${percent}">${plain}</speed>`;
    const bytes = new TextEncoder().encode(`${marked}\0`);
    const textPtr = m._malloc(bytes.length);
    m.HEAPU8.set(bytes, textPtr);

    let chunk = new Int16Array(CHUNK_SAMPLES);
    let filled = 0;
    let stopped = false;
    const flush = (): void => {
      if (filled === 0) return;
      const pcm = filled === chunk.length ? chunk : chunk.slice(0, filled);
      chunk = new Int16Array(CHUNK_SAMPLES);
      filled = 0;
      if (!sink({ pcm, sampleRateHz: PICO_SAMPLE_RATE_HZ })) stopped = true;
    };

    try {
      for (let offset = 0; offset < bytes.length && !stopped; ) {
        const size = Math.min(MAX_PUT_BYTES, bytes.length - offset);
        this.check(m._pico_putTextUtf8(this.enginePtr, textPtr + offset, size, c.bytesPut), 'putText');
        offset += m.HEAP16[c.bytesPut >> 1];
        for (;;) {
          const status = m._pico_getData(this.enginePtr, c.out, PicoCore.OUT_BUFFER_BYTES, c.bytesOut, c.dataType);
          if (status !== PICO_STEP_BUSY && status !== PICO_STEP_IDLE) this.check(status, 'getData');
          let samples = m.HEAP16[c.bytesOut >> 1] >> 1;
          let from = c.out >> 1;
          while (samples > 0) {
            const n = Math.min(samples, CHUNK_SAMPLES - filled);
            chunk.set(m.HEAP16.subarray(from, from + n), filled);
            filled += n;
            from += n;
            samples -= n;
            if (filled === CHUNK_SAMPLES) flush();
          }
          if (stopped || status === PICO_STEP_IDLE) break;
        }
      }
      if (!stopped) flush();
    } finally {
      m._free(textPtr);
      // A cancelled request leaves text and audio inside the engine; drop them.
      if (stopped) this.m._pico_resetEngine(this.enginePtr, PICO_RESET_SOFT);
    }
  }

  private useLanguage(language: string): void {
    if (language === this.engineLanguage) return;
    const voiceName = this.voiceNames.get(language);
    if (voiceName === undefined) throw new Error(`Pico has no lingware for ${language}`);
    if (this.enginePtr !== 0) {
      this.check(this.m._pico_disposeEngine(this.system, this.cells.engine), 'disposeEngine');
      this.enginePtr = 0;
    }
    this.check(this.m._pico_newEngine(this.system, voiceName, this.cells.engine), 'newEngine');
    this.enginePtr = this.m.HEAP32[this.cells.engine >> 2];
    this.engineLanguage = language;
  }

  private check(code: number, what: string): void {
    if (code === PICO_OK) return;
    this.m._pico_getSystemStatusMessage(this.system, code, this.cells.message);
    throw new Error(`Pico ${what} failed (${code}): ${readCString(this.m, this.cells.message)}`);
  }
}

function allocCString(m: PicoModule, s: string): number {
  const bytes = new TextEncoder().encode(`${s}\0`);
  const ptr = m._malloc(bytes.length);
  m.HEAPU8.set(bytes, ptr);
  return ptr;
}

function readCString(m: PicoModule, ptr: number): string {
  let end = ptr;
  while (m.HEAPU8[end] !== 0) end++;
  return new TextDecoder().decode(m.HEAPU8.subarray(ptr, end));
}
