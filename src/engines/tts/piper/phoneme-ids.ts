/**
 * Phonemes to a Piper voice's input ids, laid out as piper-phonemize's `phonemes_to_ids` does:
 * BOS (`^`) then PAD (`_`), each phoneme's ids followed by PAD, then EOS (`$`). A phoneme is one
 * code point of the NFD-decomposed IPA string (so `ç` is `c` + U+0327), and one missing from the
 * map is skipped, as Piper skips it.
 */

const BOS = '^';
const EOS = '$';
const PAD = '_';

/** Ids for one sentence's phonemes; `missing` collects phonemes the map lacks. */
export function phonemeIds(phonemes: string, idMap: ReadonlyMap<string, readonly number[]>, missing?: Set<string>): number[] {
  const pad = idMap.get(PAD)!;
  const ids = [...idMap.get(BOS)!, ...pad];
  for (const phoneme of phonemes.normalize('NFD')) {
    const mapped = idMap.get(phoneme);
    if (mapped === undefined) {
      missing?.add(phoneme);
      continue;
    }
    ids.push(...mapped, ...pad);
  }
  ids.push(...idMap.get(EOS)!);
  return ids;
}
