/**
 * A whole music analysis over a stream of mono PCM: the chroma and onset envelopes are built as
 * chunks arrive (the signal itself is never kept), and `finish()` turns them into the key,
 * tempo, time signature and Camelot data that `POST /v1/audio/analyze/` answers.
 */
import { camelotCode, compatibleKeys, keyLabel, tonicName, type Scale } from './camelot.js';
import { ChromaAccumulator } from './chroma.js';
import { estimateKey } from './key.js';
import { estimateTimeSignature, type TimeSignature } from './meter.js';
import { OnsetEnvelopes } from './onsets.js';
import { estimateTempo } from './tempo.js';

/** The rate the analysis decodes at: 11 kHz of bandwidth covers every pitch and onset it uses. */
export const ANALYSIS_SAMPLE_RATE_HZ = 22050;

/** What the analysis finds, in the response's terms. */
export interface MusicAnalysis {
  key: string;
  scale: Scale;
  /** One decimal. */
  bpm: number;
  timeSignature: TimeSignature;
  camelot: string;
  compatibleKeys: string[];
}

/** One analysis: push s16 chunks, then finish. */
export class MusicAnalyzer {
  private readonly chroma: ChromaAccumulator;
  private readonly onsets: OnsetEnvelopes;
  private scratch = new Float32Array(0);

  constructor(readonly sampleRateHz = ANALYSIS_SAMPLE_RATE_HZ) {
    this.chroma = new ChromaAccumulator(sampleRateHz);
    this.onsets = new OnsetEnvelopes(sampleRateHz);
  }

  /** Adds mono s16 samples at `sampleRateHz`. */
  push(pcm: Int16Array): void {
    if (this.scratch.length < pcm.length) this.scratch = new Float32Array(pcm.length);
    const samples = this.scratch.subarray(0, pcm.length);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i]! / 32768;
    this.chroma.push(samples);
    this.onsets.push(samples);
  }

  /** The analysis of everything pushed. */
  finish(): MusicAnalysis {
    const key = estimateKey(this.chroma.result());
    const flux = this.onsets.fluxEnvelope();
    const accents = this.onsets.accentEnvelope();
    const tempo = estimateTempo(accents, this.onsets.framesPerSec);
    return {
      key: tonicName(key),
      scale: key.scale,
      bpm: Math.round(tempo.bpm * 10) / 10,
      timeSignature: estimateTimeSignature(flux, accents, tempo.periodFrames),
      camelot: camelotCode(key),
      compatibleKeys: compatibleKeys(key).map(keyLabel),
    };
  }
}
