/**
 * Key names, the Camelot wheel and harmonically compatible keys. Reference: Mark Davis's Camelot
 * wheel (Mixed In Key, https://mixedinkey.com/camelot-wheel/): 8B = C major, 8A = A minor; one
 * step clockwise is a fifth up (9B = G major, 9A = E minor); a number's A and B are relative keys.
 */

export type Scale = 'Major' | 'Minor';

/** Pitch-class names as the key signatures spell them: flats for Db/Eb/Ab/Bb majors, sharps for C#/G# minors. */
const MAJOR_NAMES = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];
const MINOR_NAMES = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'G#', 'A', 'Bb', 'B'];

/** A key: its tonic as a pitch class (0 = C … 11 = B) and its scale. */
export interface MusicalKey {
  tonic: number;
  scale: Scale;
}

/** The tonic's name (`C`, `F#`, `Bb`). */
export function tonicName(key: MusicalKey): string {
  return (key.scale === 'Major' ? MAJOR_NAMES : MINOR_NAMES)[mod12(key.tonic)]!;
}

/** `C Major`, `A Minor`. */
export function keyLabel(key: MusicalKey): string {
  return `${tonicName(key)} ${key.scale}`;
}

/** The Camelot code: a major key's number counts fifths from C = 8; a minor key shares its relative major's. */
export function camelotCode(key: MusicalKey): string {
  const major = key.scale === 'Major' ? key.tonic : key.tonic + 3;
  const number = ((mod12(7 * major) + 7) % 12) + 1;
  return `${number}${key.scale === 'Major' ? 'B' : 'A'}`;
}

/** The key itself, a fifth up and a fifth down (the wheel's neighbours) and the relative key. */
export function compatibleKeys(key: MusicalKey): MusicalKey[] {
  const relative: MusicalKey = key.scale === 'Major' ? { tonic: mod12(key.tonic + 9), scale: 'Minor' } : { tonic: mod12(key.tonic + 3), scale: 'Major' };
  return [key, { tonic: mod12(key.tonic + 7), scale: key.scale }, { tonic: mod12(key.tonic + 5), scale: key.scale }, relative];
}

function mod12(n: number): number {
  return ((n % 12) + 12) % 12;
}
