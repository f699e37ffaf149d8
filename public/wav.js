/** A WAV file (PCM16 mono) from recorded frames: what the Transcribe tab uploads after recording. */

/** @param {Int16Array[]} frames @param {number} rateHz @returns {Blob} */
export function wavBlob(frames, rateHz) {
  const samples = frames.reduce((n, f) => n + f.length, 0);
  const header = new DataView(new ArrayBuffer(44));
  const text = (at, s) => [...s].forEach((c, i) => header.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  header.setUint32(4, 36 + samples * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  header.setUint32(16, 16, true);
  header.setUint16(20, 1, true); // PCM
  header.setUint16(22, 1, true); // mono
  header.setUint32(24, rateHz, true);
  header.setUint32(28, rateHz * 2, true);
  header.setUint16(32, 2, true);
  header.setUint16(34, 16, true);
  text(36, 'data');
  header.setUint32(40, samples * 2, true);
  // Int16Array is little-endian on every platform browsers run on.
  return new Blob([header, ...frames], { type: 'audio/wav' });
}
