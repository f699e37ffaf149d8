/**
 * The Kokoro install in `<modelsDir>/kokoro/` as public voices: one per voice of its voices
 * file(s), id = the voice's name (`af_bella`), language and gender from its prefix, plus any
 * mix of them (`af_bella(2)+af_sky(1)`). The directory is re-read when it (or its `onnx/`,
 * `voices/` folders) changes, a few stats per call, so a pull while the server runs is picked
 * up without a restart; each file is checked once per version, and a broken one is kept as a
 * failure with its reason. One model file is used: the first of KOKORO_MODEL_FILES that passes.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { EspeakVoiceInfo } from '../espeak/espeak-core.js';
import { findEspeakVoice, type VoiceFailure } from '../piper/voice-registry.js';
import type { VoiceEntry } from '../voices.js';
import type { KokoroVoiceRef } from './kokoro-core.js';
import {
  checkModelFile, fileVersion, presentModelFiles, presentVoiceFiles, readVoiceFile, VOICES_ARCHIVE, VOICES_DIR, type CheckedFile,
} from './model-files.js';
import type { KokoroExportId } from './signature.js';
import { kokoroVoiceInfo, parseVoiceMix } from './voices.js';
import { OncePerTurn } from '../../once-per-turn.js';

/** The catalogue id, and the folder under the models directory. */
export const KOKORO_MODEL_ID = 'kokoro';
/** Mixes remembered for `entry()`; past it the memo starts over (any client can invent mixes). */
const MAX_REMEMBERED_MIXES = 256;

interface KokoroVoice {
  entry: VoiceEntry;
  table: Float32Array;
  espeakIdentifier: string;
  /** The voices file it came from, to notice that file being replaced in place. */
  source: CheckedFile<Map<string, Float32Array>>;
}

/** The Kokoro install the main thread serves from; see the header. */
export class KokoroRegistry {
  private stamp: string | null = null;
  private model: CheckedFile<KokoroExportId> | undefined;
  private readonly modelChecks = new Map<string, CheckedFile<KokoroExportId>>();
  private readonly voiceFiles = new Map<string, CheckedFile<Map<string, Float32Array>>>();
  private readonly voices = new Map<string, KokoroVoice>();
  private readonly mixes = new Map<string, VoiceEntry>();
  private failed: VoiceFailure[] = [];
  private list: VoiceEntry[] = [];
  /** The folder is looked at once per event-loop turn, however many lookups the turn makes. */
  private readonly lookTurn = new OncePerTurn();

  constructor(
    private readonly dir: string,
    private readonly espeakVoices: readonly EspeakVoiceInfo[],
  ) {}

  /** A model file is present (usable or not). */
  installed(): boolean {
    this.refresh();
    return this.modelChecks.size > 0;
  }

  /** The voices, when a model file and at least one voice passed their checks; else none. */
  entries(): readonly VoiceEntry[] {
    this.refresh();
    return this.list;
  }

  /** Files that failed their checks or to load, each with why (`voice` is the file or the voice). */
  failures(): VoiceFailure[] {
    this.refresh();
    return this.failed;
  }

  /** A voice or a mix of voices; undefined when any part is unknown or the spec is malformed. */
  entry(spec: string): VoiceEntry | undefined {
    this.refresh();
    if (this.list.length === 0) return undefined;
    const single = this.voices.get(spec.toLowerCase());
    if (single) return single.entry;
    if (!/[+,(]/.test(spec)) return undefined;
    const key = spec.trim();
    const known = this.mixes.get(key);
    if (known) return known;
    const parts = this.parts(key);
    if (!parts) return undefined;
    // The heaviest voice (the first of equals) speaks: its language phonemizes the text.
    const lead = [...parts].sort((a, b) => b.weight - a.weight)[0]!.voice.entry;
    const entry: VoiceEntry = { ...lead, voice: { ...lead.voice, id: key, name: `Mix of ${key}` } };
    if (this.mixes.size >= MAX_REMEMBERED_MIXES) this.mixes.clear();
    this.mixes.set(key, entry);
    return entry;
  }

  /**
   * Why a Kokoro voice id (or mix) cannot be used although Kokoro is installed: the model file
   * failed, or the file that held that voice did; undefined when it can be, or is not Kokoro's.
   */
  failureOf(spec: string): VoiceFailure | undefined {
    this.refresh();
    if (!this.installed() || this.failed.length === 0) return undefined;
    let names: string[];
    try {
      names = parseVoiceMix(spec).map((p) => p.voice.toLowerCase());
    } catch {
      return undefined;
    }
    if (!names.every((n) => kokoroVoiceInfo(n))) return undefined;
    if (this.list.length === 0) return this.failed[0];
    const missing = names.find((n) => !this.voices.has(n));
    if (missing === undefined) return undefined;
    return this.failed.find((f) => f.voice === missing || f.voice === `${VOICES_DIR}/${missing}.bin`) ?? this.failed.find((f) => f.voice === VOICES_ARCHIVE);
  }

  /**
   * What a worker needs for `spec` at `speed`, the files it uses re-checked first if they were
   * replaced in place since (a stat each); undefined when unusable.
   */
  workerRef(spec: string, speed: number): KokoroVoiceRef | undefined {
    this.refresh();
    const used = [...(this.model ? [this.model] : []), ...(this.parts(spec) ?? []).map((p) => p.voice.source)];
    if (used.some((f) => fileVersion(f.path) !== f.version)) {
      this.stamp = null;
      this.lookTurn.reopen();
      this.refresh();
    }
    const entry = this.entry(spec);
    const parts = entry && this.parts(entry.voice.id);
    const model = this.model;
    if (!entry || !parts || !model) return undefined;
    const lead = this.voices.get(entry.engineVoice)!;
    return {
      modelPath: model.path,
      version: model.version,
      parts: parts.map((p) => ({ table: p.voice.table, weight: p.weight })),
      espeakIdentifier: lead.espeakIdentifier,
      language: lead.entry.voice.language,
      speed,
    };
  }

  /** Records that a worker could not load the model file; it stays failed until the file changes. */
  markFailed(reason: string): VoiceFailure | undefined {
    const model = this.model;
    if (!model) return undefined;
    const failure = { voice: model.file, reason: `${model.file}: ${reason}` };
    this.modelChecks.set(model.file, { ...model, state: { kind: 'failed', reason: failure.reason } });
    // The next look checks the next candidate file, if there is one.
    this.stamp = null;
    this.lookTurn.reopen();
    this.rebuild();
    return failure;
  }

  private parts(spec: string): Array<{ voice: KokoroVoice; weight: number }> | undefined {
    let mix;
    try {
      mix = parseVoiceMix(spec);
    } catch {
      return undefined;
    }
    const parts = mix.map((p) => ({ voice: this.voices.get(p.voice.toLowerCase()), weight: p.weight }));
    return parts.every((p) => p.voice !== undefined) ? (parts as Array<{ voice: KokoroVoice; weight: number }>) : undefined;
  }

  private refresh(): void {
    if (!this.lookTurn.take()) return;
    const stamp = [this.dir, join(this.dir, 'onnx'), join(this.dir, VOICES_DIR)].map(mtimeOf).join('|');
    if (stamp === this.stamp) {
      // Files copied over in place leave the folders' times alone: a failed file being repaired
      // that way is noticed by its own time (a stat per failed file).
      const changed = [...this.modelChecks.values(), ...this.voiceFiles.values()].some(
        (f) => f.state.kind === 'failed' && fileVersion(f.path) !== f.version,
      );
      if (!changed) return;
    }
    this.stamp = stamp;
    const modelFiles = presentModelFiles(this.dir);
    for (const file of this.modelChecks.keys()) if (!modelFiles.includes(file)) this.modelChecks.delete(file);
    // Candidates are checked in order only until one passes: a large file is read once it matters.
    for (const file of modelFiles) {
      const known = this.modelChecks.get(file);
      const checked = known && known.version === fileVersion(join(this.dir, file)) ? known : checkModelFile(this.dir, file);
      this.modelChecks.set(file, checked);
      if (checked.state.kind === 'ready') break;
    }
    const voiceFiles = presentVoiceFiles(this.dir);
    for (const file of this.voiceFiles.keys()) if (!voiceFiles.includes(file)) this.voiceFiles.delete(file);
    for (const file of voiceFiles) {
      const known = this.voiceFiles.get(file);
      if (!known || known.version !== fileVersion(join(this.dir, file))) this.voiceFiles.set(file, readVoiceFile(this.dir, file));
    }
    this.rebuild();
  }

  private rebuild(): void {
    this.voices.clear();
    this.mixes.clear();
    const failed: VoiceFailure[] = [];
    this.model = undefined;
    for (const check of this.modelChecks.values()) {
      if (check.state.kind === 'failed') failed.push({ voice: check.file, reason: check.state.reason });
      else this.model ??= check;
    }
    for (const file of this.voiceFiles.values()) {
      if (file.state.kind === 'failed') {
        failed.push({ voice: file.file, reason: file.state.reason });
        continue;
      }
      for (const [name, table] of file.state.value) this.addVoice(name.toLowerCase(), table, file, failed);
    }
    if (this.modelChecks.size > 0 && this.voiceFiles.size === 0) {
      failed.push({ voice: KOKORO_MODEL_ID, reason: `no voices: neither voices-v1.0.bin nor ${VOICES_DIR}/*.bin is in ${this.dir}` });
    }
    this.failed = failed;
    this.list = this.model ? [...this.voices.values()].map((v) => v.entry).sort((a, b) => a.voice.id.localeCompare(b.voice.id)) : [];
  }

  private addVoice(name: string, table: Float32Array, source: CheckedFile<Map<string, Float32Array>>, failed: VoiceFailure[]): void {
    if (this.voices.has(name)) return;
    const info = kokoroVoiceInfo(name);
    if (!info) {
      failed.push({ voice: name, reason: `${source.file}: voice '${name}' has no language prefix Kokoro publishes (af_, bm_, ff_, ...)` });
      return;
    }
    const espeakIdentifier = findEspeakVoice(this.espeakVoices, info.espeakVoice);
    if (espeakIdentifier === undefined) {
      failed.push({ voice: name, reason: `${source.file}: eSpeak NG has no voice '${info.espeakVoice}' to phonemize '${name}'` });
      return;
    }
    const primary = info.language.split('-')[0]!;
    const languages = [{ code: info.language, priority: 1 }, ...(primary === info.language ? [] : [{ code: primary, priority: info.language === 'en-us' ? 1 : 2 }])];
    const entry: VoiceEntry = { voice: { id: name, name: info.name, model: KOKORO_MODEL_ID, language: info.language, gender: info.gender }, engineVoice: name, languages };
    this.voices.set(name, { entry, table, espeakIdentifier, source });
  }
}

function mtimeOf(path: string): string {
  try {
    return String(statSync(path).mtimeMs);
  } catch {
    return '-';
  }
}
