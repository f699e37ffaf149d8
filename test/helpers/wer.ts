/** Word error rate: word-level Levenshtein distance over the reference length. */

export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const r = normalizeWords(reference);
  const h = normalizeWords(hypothesis);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return { errors: prev[h.length]!, words: r.length };
}

/** Corpus WER: total errors over total reference words. */
export function corpusWer(pairs: Array<{ reference: string; hypothesis: string }>): number {
  let errors = 0;
  let words = 0;
  for (const p of pairs) {
    const e = wordErrors(p.reference, p.hypothesis);
    errors += e.errors;
    words += e.words;
  }
  return words === 0 ? 0 : errors / words;
}
