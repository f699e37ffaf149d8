/** A 16-bit PCM WAV of interleaved channels, for audio tool uploads. */
export function toolWav(channels: Float32Array[], rateHz: number): Uint8Array {
  const frames = channels[0]!.length;
  const pcm = new Int16Array(frames * channels.length);
  for (let i = 0; i < frames; i++) for (let c = 0; c < channels.length; c++) pcm[i * channels.length + c] = Math.max(-32768, Math.min(32767, Math.round(channels[c]![i]! * 32767)));
  const out = new Uint8Array(44 + pcm.byteLength);
  const v = new DataView(out.buffer);
  const text = (at: number, s: string): void => [...s].forEach((ch, i) => v.setUint8(at + i, ch.charCodeAt(0)));
  text(0, 'RIFF');
  v.setUint32(4, 36 + pcm.byteLength, true);
  text(8, 'WAVEfmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, channels.length, true);
  v.setUint32(24, rateHz, true);
  v.setUint32(28, rateHz * 2 * channels.length, true);
  v.setUint16(32, 2 * channels.length, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, pcm.byteLength, true);
  out.set(new Uint8Array(pcm.buffer), 44);
  return out;
}

/** A multipart form with `file` and the given fields. */
export function toolForm(file: Uint8Array, fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('file', new Blob([new Uint8Array(file)]), 'audio.wav');
  return fd;
}
