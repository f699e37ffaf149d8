/** Measurements for checking audio by what it sounds like, never by its bytes. */

export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / pcm.length);
}

export function pcmFromBytes(bytes: Uint8Array): Int16Array {
  const copy = new Uint8Array(bytes.byteLength - (bytes.byteLength % 2));
  copy.set(bytes.subarray(0, copy.length));
  return new Int16Array(copy.buffer);
}

/** A loose bound on how long speech of `chars` characters can plausibly last at normal speed. */
export function plausibleSpeechSeconds(chars: number): { min: number; max: number } {
  return { min: chars * 0.03, max: chars * 0.2 + 0.5 };
}
