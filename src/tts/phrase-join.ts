/**
 * Joins a piece cut inside its sentence (the short first phrase, see text/sentences.ts) to the
 * piece after it. Engines render each piece as a whole utterance, with its own lead-in and
 * trailing silence (Flite: ~220 ms before, 150-230 ms after), so two halves of one sentence
 * played back to back would have a ~0.4 s hole where the whole sentence has none. The silence
 * on both sides of such a join is cut down to a natural pause: short after a phrase ("The
 * morning train left | the station"), longer after a comma. Cuts fall inside silence, so they
 * cannot click; sentence ends keep the engine's own pauses.
 */
import { concatPcm, OUTPUT_SAMPLE_RATE_HZ } from '../audio/pcm.js';

export type JoinKind = 'phrase' | 'clause';

/** Samples at or below this magnitude (-50 dBFS) count as silence: engines' lead-ins are quieter, soft consonants louder. */
const SILENCE_LEVEL = 100;
/** Silence kept on each side of a join, ms: [before the join, after it]. */
const KEEP_MS: Readonly<Record<JoinKind, readonly [number, number]>> = {
  phrase: [40, 20],
  clause: [100, 50],
};

const CLAUSE_END = /[,;:，、；：–—-]["'”’»›)\]}]*$/u;

/** The join after a piece that ends inside its sentence (the splitter says which do). */
export function joinKind(piece: string): JoinKind {
  return CLAUSE_END.test(piece.trimEnd()) ? 'clause' : 'phrase';
}

function keepSamples(kind: JoinKind, side: 0 | 1): number {
  return Math.round((KEEP_MS[kind][side] / 1000) * OUTPUT_SAMPLE_RATE_HZ);
}

function isSilent(sample: number): boolean {
  return sample <= SILENCE_LEVEL && sample >= -SILENCE_LEVEL;
}

/**
 * The piece before a join: holds back trailing silence until sound follows it (then it is
 * passed on whole) or the piece ends (then only the pause's worth is kept).
 */
export class TrailingSilence {
  readonly #keep: number;
  #held: Int16Array[] = [];

  constructor(kind: JoinKind) {
    this.#keep = keepSamples(kind, 0);
  }

  /** The samples that may be played now. */
  push(pcm: Int16Array): Int16Array {
    let lastSound = pcm.length - 1;
    while (lastSound >= 0 && isSilent(pcm[lastSound]!)) lastSound--;
    if (lastSound < 0) {
      this.#hold(pcm);
      return new Int16Array(0);
    }
    const out = concat([...this.#held, pcm.subarray(0, lastSound + 1)]);
    this.#held = [];
    this.#hold(pcm.subarray(lastSound + 1));
    return out;
  }

  /** At the piece's end: the first part of the held silence, as long as the pause. */
  end(): Int16Array {
    const held = concat(this.#held);
    this.#held = [];
    return held.slice(0, this.#keep);
  }

  #hold(pcm: Int16Array): void {
    if (pcm.length === 0) return;
    this.#held.push(pcm);
  }
}

/** The piece after a join: drops its lead-in silence but for the pause's last part. */
export class LeadingSilence {
  readonly #keep: number;
  /** The most recent silent samples seen, at most `#keep` of them. */
  #recent = new Int16Array(0);
  #sounding = false;
  /** Samples dropped so far: later times in this piece move earlier by this much. */
  dropped = 0;

  constructor(kind: JoinKind) {
    this.#keep = keepSamples(kind, 1);
  }

  push(pcm: Int16Array): Int16Array {
    if (this.#sounding) return pcm;
    let firstSound = 0;
    while (firstSound < pcm.length && isSilent(pcm[firstSound]!)) firstSound++;
    const silent = concat([this.#recent, pcm.subarray(0, firstSound)]);
    if (firstSound === pcm.length) {
      const kept = silent.slice(Math.max(0, silent.length - this.#keep));
      this.dropped += silent.length - kept.length;
      this.#recent = kept;
      return new Int16Array(0);
    }
    this.#sounding = true;
    const lead = silent.subarray(Math.max(0, silent.length - this.#keep));
    this.dropped += silent.length - lead.length;
    this.#recent = new Int16Array(0);
    return concat([lead, pcm.subarray(firstSound)]);
  }

  /** A piece that never sounded: what little silence was kept. */
  end(): Int16Array {
    const rest = this.#sounding ? new Int16Array(0) : this.#recent;
    this.#recent = new Int16Array(0);
    return rest;
  }
}

/** The parts as one buffer; a lone non-empty part is passed on as it is, with no copy (the common case). */
function concat(parts: Int16Array[]): Int16Array {
  const filled = parts.filter((p) => p.length > 0);
  return filled.length === 1 ? filled[0]! : concatPcm(filled);
}
