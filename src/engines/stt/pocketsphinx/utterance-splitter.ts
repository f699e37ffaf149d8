/**
 * Cuts a PCM stream into the utterances the decoder takes one at a time, so its memory
 * (audio held here, search state there) follows the utterance, not the file, and drops the
 * stretches of silence between them, which cost as much CPU as speech and where the decoder
 * hears words that are not there.
 *
 * "Silence" is a 10 ms frame whose RMS is at or below `silenceRms`: digital silence, a muted
 * microphone, the gaps of synthesized speech. An utterance ends
 * - in a pause: after `pauseSec` of silence, keeping `padSec` of it (the decoder wants some
 *   silence around words); silence beyond that is dropped, but for `padSec` before the next sound;
 * - or, with no such pause (real rooms are rarely that quiet), once it is `maxSec` long, in the
 *   middle of its quietest `quietWindowSec` that starts at least `minSec` in.
 * Frames are on the stream's own 10 ms grid and every cut falls on it, so the utterances depend
 * on the samples only, never on how they were chunked.
 */

/** A stretch of the stream with sound in it. */
export interface Utterance {
  pcm: Int16Array;
  /** Index in the whole stream of the utterance's first sample. */
  startSample: number;
}

export interface UtteranceSplitterOptions {
  sampleRateHz: number;
  /** An utterance with no pause is cut once it reaches this length (seconds)... */
  maxSec: number;
  /** ...at a point at least this far in (seconds)... */
  minSec: number;
  /** ...in the middle of the quietest stretch of this length (seconds). */
  quietWindowSec: number;
  /** RMS (of 32768) at or below which a frame is silence. */
  silenceRms: number;
  /** Silence this long (seconds) ends an utterance. */
  pauseSec: number;
  /** Silence kept before and after the sound of an utterance (seconds); at most half `pauseSec`. */
  padSec: number;
}

/** Frames per second (10 ms, the decoder's own frame rate). */
const FRAMES_PER_SEC = 100;

export class UtteranceSplitter {
  private readonly frameSamples: number;
  private readonly maxFrames: number;
  private readonly minFrames: number;
  private readonly windowFrames: number;
  private readonly pauseFrames: number;
  private readonly padFrames: number;
  private readonly silenceEnergy: number;
  /** Samples of the open utterance; never more than `maxFrames` frames. */
  private readonly buffer: Int16Array;
  private length = 0;
  /** Sum of squares of each measured frame of the buffer. */
  private readonly frameEnergy: Float64Array;
  private frames = 0;
  /** Index in the stream of the buffer's first sample. */
  private startSample = 0;
  /** Whether a measured frame of the buffer is louder than silence. */
  private hasSound = false;
  /** Silent frames at the end of the measured part of the buffer. */
  private silentRun = 0;

  constructor(opts: UtteranceSplitterOptions) {
    this.frameSamples = opts.sampleRateHz / FRAMES_PER_SEC;
    if (!Number.isInteger(this.frameSamples)) throw new RangeError(`sample rate ${opts.sampleRateHz} is not a multiple of ${FRAMES_PER_SEC}`);
    const frames = (sec: number): number => Math.round(sec * FRAMES_PER_SEC);
    this.maxFrames = frames(opts.maxSec);
    this.minFrames = frames(opts.minSec);
    this.windowFrames = Math.max(1, frames(opts.quietWindowSec));
    this.pauseFrames = Math.max(1, frames(opts.pauseSec));
    this.padFrames = frames(opts.padSec);
    if (!(this.minFrames >= 0 && this.minFrames + this.windowFrames <= this.maxFrames)) {
      throw new RangeError('utterance bounds must satisfy 0 <= minSec and minSec + quietWindowSec <= maxSec');
    }
    if (!(this.padFrames >= 0 && 2 * this.padFrames <= this.pauseFrames && this.pauseFrames < this.maxFrames)) {
      throw new RangeError('pause bounds must satisfy 0 <= 2 * padSec <= pauseSec < maxSec');
    }
    this.silenceEnergy = opts.silenceRms ** 2 * this.frameSamples;
    this.buffer = new Int16Array(this.maxFrames * this.frameSamples);
    this.frameEnergy = new Float64Array(this.maxFrames);
  }

  /** Takes the next samples; returns the utterances they completed (usually none). */
  push(pcm: Int16Array): Utterance[] {
    const done: Utterance[] = [];
    for (let at = 0; at < pcm.length; ) {
      const n = Math.min(pcm.length - at, this.buffer.length - this.length);
      this.buffer.set(pcm.subarray(at, at + n), this.length);
      this.length += n;
      at += n;
      this.measure(done);
    }
    return done;
  }

  /** Ends the stream: returns what is left if it has sound, and readies the splitter for a new stream. */
  end(): Utterance[] {
    // The trailing part-frame (under 10 ms) goes to the decoder unmeasured.
    const last = this.hasSound ? [this.take(this.frames, this.length)] : [];
    this.length = 0;
    this.frames = 0;
    this.startSample = 0;
    this.hasSound = false;
    this.silentRun = 0;
    return last;
  }

  /** Measures each complete new frame, cutting and dropping as it goes. */
  private measure(done: Utterance[]): void {
    const { buffer, frameSamples } = this;
    while ((this.frames + 1) * frameSamples <= this.length) {
      let sum = 0;
      for (let i = this.frames * frameSamples, end = i + frameSamples; i < end; i++) sum += buffer[i]! * buffer[i]!;
      this.frameEnergy[this.frames++] = sum;
      const loud = sum > this.silenceEnergy;
      // Sound begins: of the silence before it, keep only the last `padFrames`.
      if (loud && !this.hasSound && this.frames - 1 > this.padFrames) this.drop(this.frames - 1 - this.padFrames);
      if (loud) {
        this.hasSound = true;
        this.silentRun = 0;
      } else {
        this.silentRun++;
      }

      if (!this.hasSound) {
        // Nothing but silence: bound what is kept (dropping in batches, not per frame).
        if (this.frames >= this.padFrames + this.pauseFrames) this.drop(this.frames - this.padFrames);
      } else if (this.silentRun >= this.pauseFrames) {
        done.push(this.take(this.frames - this.silentRun + this.padFrames));
      } else if (this.frames === this.maxFrames) {
        done.push(this.take(this.quietestCut()));
      }
    }
  }

  /** The frame in the middle of the quietest window starting at or after `minFrames`. */
  private quietestCut(): number {
    const { frameEnergy, windowFrames } = this;
    let sum = 0;
    for (let i = this.minFrames; i < this.minFrames + windowFrames; i++) sum += frameEnergy[i]!;
    let best = sum;
    let bestStart = this.minFrames;
    for (let start = this.minFrames + 1; start + windowFrames <= this.frames; start++) {
      sum += frameEnergy[start + windowFrames - 1]! - frameEnergy[start - 1]!;
      // Strictly quieter only: among equals the earliest wins.
      if (sum < best) {
        best = sum;
        bestStart = start;
      }
    }
    return bestStart + (windowFrames >> 1);
  }

  /** Removes frames [0, cutFrame) (or the first `samples` samples) from the buffer and returns them. */
  private take(cutFrame: number, samples = cutFrame * this.frameSamples): Utterance {
    const taken: Utterance = { pcm: this.buffer.slice(0, samples), startSample: this.startSample };
    this.drop(cutFrame, samples);
    return taken;
  }

  /** Removes frames [0, cutFrame) (or the first `samples` samples) from the buffer. */
  private drop(cutFrame: number, samples = cutFrame * this.frameSamples): void {
    this.buffer.copyWithin(0, samples, this.length);
    this.frameEnergy.copyWithin(0, cutFrame, this.frames);
    this.length -= samples;
    this.frames -= cutFrame;
    this.startSample += samples;
    // What is left: the rest of a pause (silence) or the far side of a cut (rescanned).
    this.hasSound = false;
    this.silentRun = 0;
    for (let i = 0; i < this.frames; i++) {
      if (this.frameEnergy[i]! > this.silenceEnergy) {
        this.hasSound = true;
        this.silentRun = 0;
      } else {
        this.silentRun++;
      }
    }
  }
}
