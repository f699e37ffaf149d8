/**
 * Plays PCM16 24 kHz mono as it arrives: each chunk becomes an AudioBuffer scheduled right after
 * the previous one, so playback starts with the first chunk and has no gaps while chunks keep
 * up. Counts what has really played (a source's `ended`), which is what a barge-in truncate
 * must report and what the tests read. `stop()` silences everything scheduled at once.
 */

export const PCM_RATE_HZ = 24000;
/** Lead over the audio clock for the first chunk: room for the scheduling itself. */
const START_LEAD_S = 0.05;

export class PcmPlayer {
  /** @param {AudioContext} context a context at any rate: Web Audio resamples each buffer. */
  constructor(context) {
    this.context = context;
    this.sources = new Set();
    this.nextStartS = 0;
    this.samplesPlayed = 0;
    this.samplesQueued = 0;
    /** Called with `samplesPlayed` each time a chunk has finished playing. */
    this.onPlayed = null;
  }

  /** Queues `pcm` (Int16Array) after what is already scheduled. */
  push(pcm) {
    if (pcm.length === 0) return;
    const buffer = this.context.createBuffer(1, pcm.length, PCM_RATE_HZ);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const now = this.context.currentTime;
    // After a gap (or at the start) the next chunk starts a little ahead of the clock.
    if (this.nextStartS < now) this.nextStartS = now + START_LEAD_S;
    source.start(this.nextStartS);
    this.nextStartS += buffer.duration;
    this.samplesQueued += pcm.length;
    this.sources.add(source);
    source.onended = () => {
      if (!this.sources.delete(source)) return;
      this.samplesPlayed += pcm.length;
      this.onPlayed?.(this.samplesPlayed);
    };
  }

  /** Whether anything is scheduled and not yet played. */
  get playing() {
    return this.sources.size > 0;
  }

  /** Milliseconds of audio played since `reset()`, counting the chunk now sounding up to now. */
  get playedMs() {
    let ms = (this.samplesPlayed / PCM_RATE_HZ) * 1000;
    const unplayedS = Math.max(0, this.nextStartS - this.context.currentTime);
    const queuedS = (this.samplesQueued - this.samplesPlayed) / PCM_RATE_HZ;
    ms += Math.max(0, queuedS - unplayedS) * 1000;
    return Math.round(ms);
  }

  /** Silences everything scheduled; what had played (to the sample, about) stays counted. */
  stop() {
    const played = Math.round((this.playedMs * PCM_RATE_HZ) / 1000);
    // A chunk cut mid-way never ends, so it is counted here: a barge-in during the first chunk
    // heard some audio, and the page said none had played (seen on a loaded machine).
    const cut = played !== this.samplesPlayed;
    this.samplesPlayed = played;
    this.samplesQueued = played;
    if (cut) this.onPlayed?.(played);
    const sources = [...this.sources];
    this.sources.clear();
    for (const s of sources) {
      s.onended = null;
      s.stop();
    }
    this.nextStartS = 0;
  }

  /** Stops and starts counting afresh (a new utterance or reply). */
  reset() {
    this.stop();
    this.samplesPlayed = 0;
    this.samplesQueued = 0;
  }
}

let shared;

/** The page's one AudioContext at 24 kHz, made on first use (after a click, as autoplay rules want). */
export async function audioContext() {
  shared ??= new AudioContext({ sampleRate: PCM_RATE_HZ, latencyHint: 'interactive' });
  if (shared.state === 'suspended') await shared.resume();
  return shared;
}
