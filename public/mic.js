/**
 * The microphone as PCM16 mono at 24 kHz (the rate /v1/realtime speaks), in 20 ms frames.
 * The AudioContext itself runs at 24 kHz, so the browser resamples the device's audio and no
 * resampler is needed here; an AudioWorklet (mic-worklet.js) taps it off the audio thread.
 */
import { PCM_RATE_HZ } from './pcm-player.js';

/** 20 ms at 24 kHz: the frame size OpenAI's realtime examples send. */
const FRAME_SAMPLES = 480;

export class Mic {
  /**
   * @param {AudioContext} context at PCM_RATE_HZ
   * @param {(frame: Int16Array) => void} onFrame
   */
  constructor(context, onFrame) {
    this.context = context;
    this.onFrame = onFrame;
    this.pending = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
  }

  /** Asks for the microphone and starts sending frames. `processing`: echo cancellation etc. */
  async start(processing) {
    if (this.context.sampleRate !== PCM_RATE_HZ) throw new Error(`the audio context runs at ${this.context.sampleRate} Hz, not ${PCM_RATE_HZ}`);
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing },
    });
    await this.context.audioWorklet.addModule('/playground/mic-worklet.js');
    this.source = this.context.createMediaStreamSource(this.stream);
    this.tap = new AudioWorkletNode(this.context, 'llais-mic-tap');
    this.tap.port.onmessage = (e) => this.take(e.data);
    this.source.connect(this.tap);
  }

  take(samples) {
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]));
      this.pending[this.filled++] = s < 0 ? s * 32768 : s * 32767;
      if (this.filled === FRAME_SAMPLES) {
        this.onFrame(this.pending);
        this.pending = new Int16Array(FRAME_SAMPLES);
        this.filled = 0;
      }
    }
  }

  /** Releases the microphone (the browser's recording indicator goes off). */
  stop() {
    this.source?.disconnect();
    if (this.tap) this.tap.port.onmessage = null;
    this.tap?.disconnect();
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = undefined;
  }
}
