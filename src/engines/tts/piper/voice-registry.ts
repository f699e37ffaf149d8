/**
 * The Piper voices installed in `<modelsDir>/piper/`, as public voices: `<name>` for a
 * single-speaker voice, `<name>:<speaker>` for each speaker of a multi-speaker one (from its
 * `speaker_id_map`). The directory is re-read when it changes (a stat per call), so a voice
 * dropped in or pulled while the server runs is offered without a restart; each pair is checked
 * once per version of its files, and a broken one is kept as a failure with its reason.
 */
import { statSync } from 'node:fs';
import type { EspeakVoiceInfo } from '../espeak/espeak-core.js';
import type { VoiceEntry } from '../voices.js';
import type { PiperVoiceRef } from './piper-core.js';
import { checkVoiceFile, listVoiceNames, voiceVersion, type PiperVoiceFile } from './voice-files.js';
import { OncePerTurn } from '../../once-per-turn.js';

export const PIPER_MODEL_ID = 'piper';

/** A public Piper voice: its entry and what a worker needs to speak with it. */
interface PiperVoice {
  entry: VoiceEntry;
  file: PiperVoiceFile;
  espeakIdentifier: string;
  speakerId: number | null;
}

export interface VoiceFailure {
  /** The voice's file name without `.onnx`. */
  voice: string;
  reason: string;
}

export class PiperVoiceRegistry {
  private dirStamp: number | null = null;
  private readonly files = new Map<string, PiperVoiceFile>();
  private readonly voices = new Map<string, PiperVoice>();
  private readonly failed = new Map<string, VoiceFailure>();
  private list: VoiceEntry[] = [];
  /** The folder is looked at once per event-loop turn, however many lookups the turn makes. */
  private readonly lookTurn = new OncePerTurn();

  constructor(
    private readonly dir: string,
    private readonly espeakVoices: readonly EspeakVoiceInfo[],
  ) {}

  /** Public voices of the voice pairs that passed their checks. */
  entries(): readonly VoiceEntry[] {
    this.refresh();
    return this.list;
  }

  /** Voice pairs that failed, with why. */
  failures(): VoiceFailure[] {
    this.refresh();
    return [...this.failed.values()];
  }

  /** The failure of the pair a voice id names (`<name>` or `<name>:<speaker>`), if it failed. */
  failureOf(voiceId: string): VoiceFailure | undefined {
    this.refresh();
    const name = voiceId.split(':')[0]!.toLowerCase();
    return [...this.failed.values()].find((f) => f.voice.toLowerCase() === name);
  }

  entry(voiceId: string): VoiceEntry | undefined {
    this.refresh();
    return this.voices.get(voiceId.toLowerCase())?.entry;
  }

  /**
   * What a worker needs for `voiceId` at `speed`, re-checking the pair first if its files
   * changed since; undefined when the voice is unknown or now broken.
   */
  workerRef(voiceId: string, speed: number): PiperVoiceRef | undefined {
    this.refresh();
    let voice = this.voices.get(voiceId.toLowerCase());
    if (voice && voiceVersion(this.dir, voice.file.name) !== voice.file.version) {
      this.dirStamp = null;
      this.lookTurn.reopen();
      this.refresh();
      voice = this.voices.get(voiceId.toLowerCase());
    }
    if (!voice || voice.file.state.kind !== 'ready') return undefined;
    return {
      modelPath: voice.file.modelPath,
      configPath: voice.file.configPath,
      version: voice.file.version,
      espeakIdentifier: voice.espeakIdentifier,
      speakerId: voice.speakerId,
      lengthScale: voice.file.state.config.lengthScale / speed,
    };
  }

  /** Records that a worker could not load the pair behind `voiceId`; it stays failed until its files change. */
  markFailed(voiceId: string, reason: string): void {
    const voice = this.voices.get(voiceId.toLowerCase());
    if (!voice) return;
    this.files.set(voice.file.name, { ...voice.file, state: { kind: 'failed', reason: `${voice.file.name}.onnx: ${reason}` } });
    this.rebuild();
  }

  private refresh(): void {
    if (!this.lookTurn.take()) return;
    let stamp: number | null;
    try {
      stamp = statSync(this.dir).mtimeMs;
    } catch {
      stamp = null;
    }
    if (stamp !== null && stamp === this.dirStamp) {
      // Files copied over in place leave the directory's time alone: a broken voice being
      // repaired that way is noticed by its own files' times (a stat per broken voice).
      this.recheckFailed();
      return;
    }
    this.dirStamp = stamp;
    const names = new Set(listVoiceNames(this.dir));
    for (const name of this.files.keys()) if (!names.has(name)) this.files.delete(name);
    for (const name of names) {
      const known = this.files.get(name);
      if (known && known.version === voiceVersion(this.dir, name)) continue;
      this.files.set(name, checkVoiceFile(this.dir, name));
    }
    this.rebuild();
  }

  private recheckFailed(): void {
    let changed = false;
    for (const name of this.failed.keys()) {
      const known = this.files.get(name);
      if (!known || known.version === voiceVersion(this.dir, name)) continue;
      this.files.set(name, checkVoiceFile(this.dir, name));
      changed = true;
    }
    if (changed) this.rebuild();
  }

  private rebuild(): void {
    this.voices.clear();
    this.failed.clear();
    for (const file of this.files.values()) {
      if (file.state.kind === 'failed') {
        this.failed.set(file.name, { voice: file.name, reason: file.state.reason });
        continue;
      }
      const { config } = file.state;
      const espeakIdentifier = findEspeakVoice(this.espeakVoices, config.espeakVoice);
      if (espeakIdentifier === undefined) {
        this.failed.set(file.name, { voice: file.name, reason: `${file.name}.onnx.json: eSpeak NG has no voice '${config.espeakVoice}' (espeak.voice)` });
        continue;
      }
      const primary = config.language.split('-')[0]!;
      const languages = [{ code: config.language, priority: 1 }, ...(primary === config.language ? [] : [{ code: primary, priority: 2 }])];
      const speakers: Array<[string | null, number | null]> = config.multiSpeaker ? [...config.speakers] : [[null, null]];
      for (const [speaker, speakerId] of speakers) {
        const id = speaker === null ? file.name : `${file.name}:${speaker}`;
        const entry: VoiceEntry = {
          // Piper's voice files say nothing about the speaker's gender.
          voice: { id, name: speaker === null ? file.name : `${file.name} (${speaker})`, model: PIPER_MODEL_ID, language: config.language, gender: 'neutral' },
          engineVoice: file.name,
          languages,
        };
        this.voices.set(id.toLowerCase(), { entry, file, espeakIdentifier, speakerId });
      }
    }
    this.list = [...this.voices.values()].map((v) => v.entry);
  }
}

/**
 * The eSpeak identifier for a voice JSON's `espeak.voice` (`en-us` -> `gmw/en-US`): the same
 * identifier or file name, else the voice that ranks that language best.
 */
export function findEspeakVoice(voices: readonly EspeakVoiceInfo[], name: string): string | undefined {
  const wanted = name.toLowerCase().replaceAll('_', '-');
  const byName = voices.find((v) => v.identifier.toLowerCase() === wanted || v.identifier.slice(v.identifier.lastIndexOf('/') + 1).toLowerCase() === wanted);
  if (byName) return byName.identifier;
  let best: EspeakVoiceInfo | undefined;
  let bestPriority = Infinity;
  for (const v of voices) {
    const match = v.languages.find((l) => l.code === wanted);
    if (match && match.priority < bestPriority) {
      best = v;
      bestPriority = match.priority;
    }
  }
  return best?.identifier;
}
