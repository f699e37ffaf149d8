/** Corpus word error rate for the STT tests, on the benchmarks' one WER implementation. */
import { wordErrorRate } from '../../bench/lib/wer.js';

/** Total errors over total reference words. */
export function corpusWer(pairs: Array<{ reference: string; hypothesis: string }>): number {
  let errors = 0;
  let words = 0;
  for (const p of pairs) {
    const r = wordErrorRate(p.reference, p.hypothesis);
    errors += r.substitutions + r.deletions + r.insertions;
    words += r.referenceWords;
  }
  return words === 0 ? 0 : errors / words;
}
