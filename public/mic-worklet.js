/**
 * Audio-thread half of mic.js: hands each render quantum of the microphone (mono, the context's
 * rate) to the main thread. Kept trivial: framing and conversion happen on the main thread.
 */
class MicTap extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0]?.[0];
    if (channel) this.port.postMessage(channel.slice());
    return true;
  }
}

registerProcessor('llais-mic-tap', MicTap);
