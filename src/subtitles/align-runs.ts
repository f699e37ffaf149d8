/**
 * Two word sequences lined up: the longest common subsequence of equal (normalised) words is
 * kept as one-to-one matches, and every stretch between two matches becomes one block pairing
 * the words of one side with those of the other (either side may be empty). Subtitles use it
 * twice: the words as written against the words as spoken ("42" against "forty-two", "GIF"
 * against "jiff"), and the words as spoken against the words an engine or a recognizer timed.
 */

/** Half-open index ranges into the two sequences; `match` when both hold one equal word. */
export interface Run {
  a: [number, number];
  b: [number, number];
  match: boolean;
}

/**
 * Lowercase letters and digits only, so "Dr." matches "dr", "time." matches "time" and
 * "forty-two" matches "fortytwo" (what a recognizer hears as two words does not; that stays a block).
 */
export function normalizeWord(word: string): string {
  return word.toLowerCase().normalize('NFKD').replace(/[^\p{L}\p{N}]/gu, '');
}

/** Covers both sequences in order, with no gaps: every index of `a` and `b` is in exactly one run. */
export function alignRuns(a: readonly string[], b: readonly string[]): Run[] {
  const na = a.map(normalizeWord);
  const nb = b.map(normalizeWord);
  const n = na.length;
  const m = nb.length;
  // lcs[i][j]: LCS length of a[i..] and b[j..], in one flat array.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[at(i, j)] = na[i] !== '' && na[i] === nb[j] ? lcs[at(i + 1, j + 1)]! + 1 : Math.max(lcs[at(i + 1, j)]!, lcs[at(i, j + 1)]!);
    }
  }
  const runs: Run[] = [];
  let i = 0;
  let j = 0;
  let blockA = 0;
  let blockB = 0;
  const closeBlock = (): void => {
    if (blockA < i || blockB < j) runs.push({ a: [blockA, i], b: [blockB, j], match: false });
  };
  while (i < n && j < m) {
    if (na[i] !== '' && na[i] === nb[j] && lcs[at(i, j)] === lcs[at(i + 1, j + 1)]! + 1) {
      closeBlock();
      runs.push({ a: [i, i + 1], b: [j, j + 1], match: true });
      i++;
      j++;
      blockA = i;
      blockB = j;
    } else if (lcs[at(i + 1, j)]! >= lcs[at(i, j + 1)]!) {
      i++;
    } else {
      j++;
    }
  }
  i = n;
  j = m;
  closeBlock();
  return runs;
}
