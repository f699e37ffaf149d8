/**
 * Word error rate: word-level Levenshtein distance between a reference text and a recognizer's
 * transcript, over words lower-cased and stripped of punctuation, divided by the reference's words.
 */

/**
 * Lower case, apostrophes dropped (`man's` and `mans` are the same word), any other character
 * that is not a letter or digit a word break.
 */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .split(' ')
    .filter(Boolean);
}

export interface WerResult {
  /** Words in the normalized reference. */
  referenceWords: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  /** (substitutions + deletions + insertions) / referenceWords; NaN for an empty reference. */
  wer: number;
}

/** Minimum-edit alignment of `hypothesis` to `reference`, counted by kind. */
export function wordErrorRate(reference: string, hypothesis: string): WerResult {
  const ref = normalizeWords(reference);
  const hyp = normalizeWords(hypothesis);
  const cols = hyp.length + 1;
  // cost[i * cols + j]: edits turning ref[0, i) into hyp[0, j).
  const cost = new Uint32Array((ref.length + 1) * cols);
  for (let j = 0; j <= hyp.length; j++) cost[j] = j;
  for (let i = 1; i <= ref.length; i++) {
    cost[i * cols] = i;
    for (let j = 1; j <= hyp.length; j++) {
      const diagonal = cost[(i - 1) * cols + j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      cost[i * cols + j] = Math.min(diagonal, cost[(i - 1) * cols + j]! + 1, cost[i * cols + j - 1]! + 1);
    }
  }
  // Walk one optimal path back to count each kind of edit.
  let substitutions = 0;
  let deletions = 0;
  let insertions = 0;
  let i = ref.length;
  let j = hyp.length;
  while (i > 0 || j > 0) {
    const here = cost[i * cols + j]!;
    if (i > 0 && j > 0 && here === cost[(i - 1) * cols + j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1)) {
      if (ref[i - 1] !== hyp[j - 1]) substitutions++;
      i--;
      j--;
    } else if (i > 0 && here === cost[(i - 1) * cols + j]! + 1) {
      deletions++;
      i--;
    } else {
      insertions++;
      j--;
    }
  }
  const errors = substitutions + deletions + insertions;
  return { referenceWords: ref.length, substitutions, deletions, insertions, wer: ref.length > 0 ? errors / ref.length : Number.NaN };
}
