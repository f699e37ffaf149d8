/**
 * eSpeak NG, driven inside a TTS worker thread (never on the main thread).
 *
 * `@echogarden/espeak-ng-emscripten` is eSpeak NG compiled to JavaScript (wasm2js) with its
 * voice and dictionary data (espeak-ng.data, 100+ languages) mounted in Emscripten's in-memory
 * file system. Its `eSpeakNGWorker.synthesize(text, callback)` runs synchronously and calls
 * back every ~100 ms of audio with the samples and the events (word, phoneme, end, ...) that
 * fall in them; returning true from the callback makes eSpeak stop, which is how a cancelled
 * request ends at the next chunk boundary.
 *
 * The data file (24 MB) is read once per process into a SharedArrayBuffer and every worker's
 * file system is made of views on it (`readData`, `load`): eSpeak only reads those files (it
 * writes nothing but its own IPA scratch files elsewhere), and they are made read-only besides.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AudioChunk, WordTiming } from '../../../audio/pcm.js';
import { splitWords, type TextWord } from './text-words.js';

export const ESPEAK_SAMPLE_RATE_HZ = 22_050;

/** eSpeak's own default rate; speed 1.0 maps here. */
const DEFAULT_RATE_WPM = 175;
/** eSpeak clamps below 80 wpm and above 450 wpm, so speeds outside ~0.46–2.57 saturate. */
const MIN_RATE_WPM = 80;
const MAX_RATE_WPM = 450;

/** One eSpeak voice as its data describes it. */
export interface EspeakVoiceInfo {
  /** Path-like id inside espeak-ng-data, e.g. `gmw/en-US`; what `set_voice` accepts. */
  identifier: string;
  /** Display name, e.g. `English (America)`. */
  name: string;
  /** Language codes this voice speaks; lower priority number = better fit. */
  languages: Array<{ code: string; priority: number }>;
}

/** The slice of the Emscripten module's API that this core uses. */
interface EspeakEvent {
  type: 'list_terminated' | 'word' | 'sentence' | 'mark' | 'play' | 'end' | 'msg_terminated' | 'phoneme' | 'samplerate';
  /** 1-based code point index into the input text. */
  text_position: number;
  /** Length of the word in code points (word events). */
  word_length: number;
  /** Milliseconds from the start of this synthesis. */
  audio_position: number;
  id?: string | number;
}
interface EspeakWorkerApi {
  list_voices(): Array<{ name: string; identifier: string; languages: Array<{ priority: number; name: string }> }>;
  /** 0 on success. */
  set_voice(identifier: string): number;
  set_rate(wpm: number): void;
  /** Phonemes of `text` as eSpeak's `--ipa` trace writes them; code 0 on success. */
  synthesize_ipa(text: string): { code: number; ipa: string };
  synthesize(text: string, callback: (samples: Int16Array, events: EspeakEvent[]) => boolean): void;
}
interface EspeakModule {
  eSpeakNGWorker: new () => EspeakWorkerApi;
  FS: EmscriptenFs;
}
/** The slice of Emscripten's FS that marks the data read-only. */
interface EmscriptenFs {
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  isDir(mode: number): boolean;
  chmod(path: string, mode: number): void;
}

const PACKAGE = '@echogarden/espeak-ng-emscripten';
/** The package's data file, packed by Emscripten's file packager; its loader asks for it by this name. */
const DATA_FILE = 'espeak-ng.data';
/** Where the packager mounts the data inside the module's file system. */
const DATA_DIR = '/usr/share/espeak-ng-data';
const READ_ONLY_MODE = 0o444;

/** Called with each chunk; returns false when the request was cancelled and synthesis must stop. */
export type ChunkSink = (chunk: AudioChunk) => boolean;

export class EspeakCore {
  private currentVoice = '';
  private currentRateWpm = DEFAULT_RATE_WPM;

  private constructor(private readonly api: EspeakWorkerApi) {}

  /**
   * Reads the data file into shared memory, once per process: every worker's `load` is handed
   * the same buffer, so its 24 MB are resident once rather than once per worker.
   */
  static readData(): SharedArrayBuffer {
    const path = join(dirname(createRequire(import.meta.url).resolve(PACKAGE)), DATA_FILE);
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const data = new SharedArrayBuffer(size);
      const view = new Uint8Array(data);
      for (let at = 0; at < size; ) {
        const read = readSync(fd, view, at, size - at, at);
        if (read === 0) throw new Error(`${path} ended after ${at} of ${size} bytes`);
        at += read;
      }
      return data;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Loads the module once per worker (~150 ms), its files views on `data` (from `readData`,
   * shared by every worker; read here when not given), never copies of it.
   */
  static async load(data: SharedArrayBuffer = EspeakCore.readData()): Promise<EspeakCore> {
    const entry = createRequire(import.meta.url).resolve(PACKAGE);
    // The package ships no types: import it untyped and describe what we use above.
    const mod = (await import(pathToFileURL(entry).href)) as { default: (moduleArg: object) => Promise<EspeakModule> };
    // The loader calls `getPreloadedPackage` instead of reading the file itself, then creates
    // every file as a subarray of what it returns (createDataFile with canOwn: no copy). It first
    // asserts `buffer.constructor.name === ArrayBuffer.name`, which a SharedArrayBuffer fails
    // although views on it work the same; so it gets a handle of its own onto the same memory
    // (structuredClone of a SharedArrayBuffer shares, never copies) whose `constructor` passes.
    const handle = structuredClone(data);
    Object.defineProperty(handle, 'constructor', { value: ArrayBuffer });
    const m = await mod.default({ getPreloadedPackage: () => handle });
    // A write into one of these files would land in every worker's data: opening one for
    // writing now fails (EACCES) instead. eSpeak never does; this keeps it so.
    makeReadOnly(m.FS, DATA_DIR);
    return new EspeakCore(new m.eSpeakNGWorker());
  }

  listVoices(): EspeakVoiceInfo[] {
    return this.api.list_voices().map((v) => ({
      identifier: v.identifier,
      name: v.name.replaceAll('_', ' '),
      languages: v.languages.map((l) => ({ code: l.name.toLowerCase(), priority: l.priority })),
    }));
  }

  /**
   * The IPA phonemes eSpeak would speak for `text` with the voice `identifier` (phonemes
   * `_`-separated, one clause per line); see `phonemize.ts` for the form neural voices want.
   */
  ipa(text: string, identifier: string): string {
    this.useVoice(identifier);
    const { escaped } = escapeForSsml(text);
    const result = this.api.synthesize_ipa(escaped);
    if (result.code !== 0) throw new Error(`eSpeak could not phonemize (code ${result.code})`);
    return result.ipa;
  }

  /**
   * Synthesizes `text` with the voice `identifier`, calling `sink` with PCM as eSpeak produces
   * it. Word timings are for the words of `text` as written, in seconds from its start.
   */
  synthesize(text: string, identifier: string, speed: number, sink: ChunkSink): void {
    this.useVoice(identifier);
    const rateWpm = Math.round(Math.min(MAX_RATE_WPM, Math.max(MIN_RATE_WPM, DEFAULT_RATE_WPM * speed)));
    if (rateWpm !== this.currentRateWpm) {
      this.api.set_rate(rateWpm);
      this.currentRateWpm = rateWpm;
    }

    const { escaped, sourceIndex } = escapeForSsml(text);
    const timer = new WordTimer(splitWords(text));
    let samplesOut = 0;
    let stopped = false;

    this.api.synthesize(escaped, (samples, events) => {
      for (const e of events) {
        switch (e.type) {
          case 'word': {
            const at = sourceIndex[e.text_position - 1];
            if (at !== undefined) timer.wordEvent(at, e.audio_position);
            break;
          }
          case 'phoneme':
            // An empty phoneme is a pause: the word before it has ended.
            if (e.id === '') timer.pause(e.audio_position);
            break;
          case 'end':
            timer.pause(e.audio_position);
            break;
          default:
            break;
        }
      }
      if (samples.length === 0) return false;
      samplesOut += samples.length;
      const words = timer.takeFinished();
      // `samples` is a fresh copy out of the wasm heap, so it can be transferred as is.
      const chunk: AudioChunk = { pcm: samples, sampleRateHz: ESPEAK_SAMPLE_RATE_HZ };
      if (words.length > 0) chunk.words = words;
      if (!sink(chunk)) stopped = true;
      return stopped;
    });

    if (stopped) return;
    const words = timer.finish((samplesOut / ESPEAK_SAMPLE_RATE_HZ) * 1000);
    if (words.length > 0) sink({ pcm: new Int16Array(0), sampleRateHz: ESPEAK_SAMPLE_RATE_HZ, words });
  }

  private useVoice(identifier: string): void {
    if (identifier === this.currentVoice) return;
    if (this.api.set_voice(identifier) !== 0) throw new Error(`eSpeak has no voice ${identifier}`);
    this.currentVoice = identifier;
  }
}

/** Marks every file under `dir` read-only (Emscripten's FS checks permissions once running). */
function makeReadOnly(fs: EmscriptenFs, dir: string): void {
  for (const name of fs.readdir(dir)) {
    if (name === '.' || name === '..') continue;
    const path = `${dir}/${name}`;
    if (fs.isDir(fs.stat(path).mode)) makeReadOnly(fs, path);
    else fs.chmod(path, READ_ONLY_MODE);
  }
}

/**
 * The build always parses SSML, so `<`, `>` and `&` must be escaped. Returns the escaped text
 * and, per code point of it, the UTF-16 index in `text` it came from (eSpeak reports positions
 * in code points of the text it was given).
 */
function escapeForSsml(text: string): { escaped: string; sourceIndex: number[] } {
  let escaped = '';
  const sourceIndex: number[] = [];
  let i = 0;
  for (const ch of text) {
    const replacement = ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '&' ? '&amp;' : ch;
    escaped += replacement;
    for (let k = 0; k < (replacement === ch ? 1 : replacement.length); k++) sourceIndex.push(i);
    i += ch.length;
  }
  return { escaped, sourceIndex };
}

/**
 * Turns eSpeak's word and pause events into timings for the input's own words. eSpeak may
 * report several "words" for one written word (`$1,234`, `2024-01-05`); they are merged, since
 * callers want words as written. A word ends at the next word's start or at the first pause.
 */
class WordTimer {
  private open: { word: TextWord; startMs: number } | null = null;
  private finished: WordTiming[] = [];
  private lastWordIndex = -1;

  constructor(private readonly words: TextWord[]) {}

  wordEvent(sourceIndex: number, atMs: number): void {
    // Positions only move forward, so scan on from the last word rather than from the top.
    let index = Math.max(0, this.lastWordIndex);
    while (index < this.words.length && this.words[index].end <= sourceIndex) index++;
    const word = this.words[index];
    // Events inside whitespace, or another part of the word already open, add nothing.
    if (word === undefined || sourceIndex < word.start || index <= this.lastWordIndex) return;
    this.close(atMs);
    this.lastWordIndex = index;
    this.open = { word, startMs: atMs };
  }

  pause(atMs: number): void {
    this.close(atMs);
  }

  takeFinished(): WordTiming[] {
    const out = this.finished;
    this.finished = [];
    return out;
  }

  finish(totalMs: number): WordTiming[] {
    this.close(totalMs);
    for (const w of this.finished) w.end = Math.min(w.end, totalMs / 1000);
    return this.takeFinished();
  }

  private close(atMs: number): void {
    if (!this.open) return;
    const { word, startMs } = this.open;
    this.open = null;
    if (word.text === '') return;
    this.finished.push({ word: word.text, start: startMs / 1000, end: Math.max(startMs, atMs) / 1000 });
  }
}
